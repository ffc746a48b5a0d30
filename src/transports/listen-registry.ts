/**
 * Which resource URIs the open `subscriptions/listen` streams of an HTTP server asked for (the
 * 2026-07-28 era). The SDK's handler serves those streams and drops what nobody asked for, but
 * it cannot tell the server which URIs that is; the router records each listen request's filter
 * as it passes and forgets it when the stream ends, so queue changes are announced only for the
 * URIs someone watches, and a change to "any task" (a reset) reaches exactly the watched tasks.
 * The HTTP counterpart of ListenTap (stdio).
 */

export class ListenRegistry {
  private readonly listens = new Map<number, readonly string[]>();
  private next = 0;

  /** Every URI some open listen stream asked for. */
  readonly watched = (): ReadonlySet<string> => {
    const uris = new Set<string>();
    for (const list of this.listens.values()) for (const uri of list) uris.add(uri);
    return uris;
  };

  /** Record one open stream's URIs; returns the call that forgets them. */
  add(uris: readonly string[]): () => void {
    const key = this.next++;
    this.listens.set(key, uris);
    return () => {
      this.listens.delete(key);
    };
  }

  get size(): number {
    return this.listens.size;
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
