/**
 * Which resource URIs the client of a stdio connection listens to on the 2026-07-28 era.
 *
 * There, `subscriptions/listen` is served by the SDK's stdio entry before the server instance
 * sees it, and the entry's router drops any `notifications/resources/updated` nobody asked for.
 * Left at that, a server must announce every URI a change may touch (one notification per
 * changed task, most of them dropped), and after a change to "any task" it cannot know which
 * task URIs to announce. This tap sits between the wire and the entry, records the listen
 * requests (and forgets their cancellations) in a ListenRegistry as they pass, and so tells the
 * server the URIs that are actually watched. It changes no message.
 */
import type {
  JSONRPCMessage,
  MessageExtraInfo,
  Transport,
  TransportSendOptions,
} from "@modelcontextprotocol/server";
import { ListenRegistry, listenUris } from "./listen-registry.js";

type RequestId = string | number;

export class ListenTap implements Transport {
  private readonly registry = new ListenRegistry();
  private readonly forget = new Map<RequestId, () => void>();
  private handler: Transport["onmessage"];

  constructor(private readonly inner: Transport) {}

  /** Every URI some open listen subscription on this connection asked for. */
  readonly watched = this.registry.watched;

  /** Call `listener` whenever what `watched()` returns may have changed; returns the unsubscribe. */
  readonly onWatchedChange = this.registry.onChange;

  get onmessage(): Transport["onmessage"] {
    return this.handler;
  }

  set onmessage(handler: Transport["onmessage"]) {
    this.handler = handler;
    this.inner.onmessage =
      handler === undefined
        ? undefined
        : (message: JSONRPCMessage, extra?: MessageExtraInfo) => {
            this.observe(message);
            handler(message, extra);
          };
  }

  get onclose() {
    return this.inner.onclose;
  }

  set onclose(handler: Transport["onclose"]) {
    this.inner.onclose = () => {
      this.forget.clear();
      this.registry.clear();
      handler?.();
    };
  }

  get onerror() {
    return this.inner.onerror;
  }

  set onerror(handler: Transport["onerror"]) {
    this.inner.onerror = handler;
  }

  get setProtocolVersion() {
    return this.inner.setProtocolVersion;
  }

  start(): Promise<void> {
    return this.inner.start();
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    return this.inner.send(message, options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private observe(message: JSONRPCMessage): void {
    const m = message as { id?: RequestId; method?: string; params?: Record<string, unknown> };
    const uris = listenUris(message);
    if (uris !== null && m.id !== undefined) {
      this.forget.get(m.id)?.();
      this.forget.set(m.id, this.registry.add(uris));
    } else if (m.method === "notifications/cancelled") {
      const id = m.params?.requestId as RequestId | undefined;
      if (id === undefined) return;
      this.forget.get(id)?.();
      this.forget.delete(id);
    }
  }
}
