/**
 * Which resource URIs the client of a stdio connection listens to on the 2026-07-28 era.
 *
 * There, `subscriptions/listen` is served by the SDK's stdio entry before the server instance
 * sees it, and the entry's router drops any `notifications/resources/updated` nobody asked for.
 * Left at that, a server must announce every URI a change may touch (one notification per
 * changed task, most of them dropped), and after a change to "any task" it cannot know which
 * task URIs to announce. This tap sits between the wire and the entry, reads the listen
 * requests (and their cancellations) as they pass, and tells the server the URIs that are
 * actually watched. It changes no message.
 */
import type {
  JSONRPCMessage,
  MessageExtraInfo,
  Transport,
  TransportSendOptions,
} from "@modelcontextprotocol/server";

type RequestId = string | number;

export class ListenTap implements Transport {
  private readonly listens = new Map<RequestId, readonly string[]>();
  private readonly changeListeners = new Set<() => void>();
  private handler: Transport["onmessage"];

  constructor(private readonly inner: Transport) {}

  /** Every URI some open listen subscription on this connection asked for. */
  readonly watched = (): ReadonlySet<string> => {
    const uris = new Set<string>();
    for (const list of this.listens.values()) for (const uri of list) uris.add(uri);
    return uris;
  };

  /** Call `listener` whenever what `watched()` returns may have changed; returns the unsubscribe. */
  readonly onWatchedChange = (listener: () => void): (() => void) => {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  };

  private changed(): void {
    for (const listener of this.changeListeners) {
      try {
        listener();
      } catch {
        // a listener's failure is its own; the tap changes no message
      }
    }
  }

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
      this.listens.clear();
      this.changed();
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
    if (m.method === "subscriptions/listen" && m.id !== undefined) {
      const filter = m.params?.notifications as { resourceSubscriptions?: unknown } | undefined;
      const uris = Array.isArray(filter?.resourceSubscriptions)
        ? filter.resourceSubscriptions.filter((u): u is string => typeof u === "string")
        : [];
      this.listens.set(m.id, uris);
      this.changed();
    } else if (m.method === "notifications/cancelled") {
      const id = m.params?.requestId as RequestId | undefined;
      if (id !== undefined && this.listens.delete(id)) this.changed();
    }
  }
}
