/**
 * Which resource URIs the open `subscriptions/listen` streams of a server asked for (the
 * 2026-07-28 era). The SDK serves those streams and drops what nobody asked for, but it cannot
 * tell the server which URIs that is; each transport records a listen request's filter as it
 * passes and forgets it when the stream ends, so queue changes are announced only for the URIs
 * someone watches, and a change to "any task" (a reset) reaches exactly the watched tasks.
 * HTTP records each listen POST here (http.ts); stdio's ListenTap records the listen requests it
 * sees on the wire.
 */
import { Emitter } from "../emitter.js";

export class ListenRegistry {
  private readonly listens = new Map<number, readonly string[]>();
  private readonly listeners = new Emitter<void>();
  private next = 0;

  /** Every URI some open listen stream asked for. */
  readonly watched = (): ReadonlySet<string> => {
    const uris = new Set<string>();
    for (const list of this.listens.values()) for (const uri of list) uris.add(uri);
    return uris;
  };

  /** Call `listener` whenever what `watched()` returns may have changed; returns the unsubscribe. */
  readonly onChange = (listener: () => void): (() => void) => {
    return this.listeners.on(listener);
  };

  /** Record one open stream's URIs; returns the call that forgets them (once). */
  add(uris: readonly string[]): () => void {
    const key = this.next++;
    this.listens.set(key, uris);
    this.changed();
    return () => {
      if (this.listens.delete(key)) this.changed();
    };
  }

  /** Forget every stream (the connection closed). */
  clear(): void {
    if (this.listens.size === 0) return;
    this.listens.clear();
    this.changed();
  }

  get size(): number {
    return this.listens.size;
  }

  private changed(): void {
    this.listeners.emit();
  }
}

/** The resource URIs of a `subscriptions/listen` request body, or null when it is not one. */
export function listenUris(body: unknown): string[] | null {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return null;
  const m = body as { method?: unknown; params?: { notifications?: { resourceSubscriptions?: unknown } } };
  if (m.method !== "subscriptions/listen") return null;
  const list = m.params?.notifications?.resourceSubscriptions;
  return Array.isArray(list) ? list.filter((u): u is string => typeof u === "string") : [];
}
