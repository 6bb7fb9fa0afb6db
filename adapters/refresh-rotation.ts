/**
 * Refresh token rotation made atomic across oidc-provider's separate adapter
 * calls.
 *
 * The provider's refresh grant calls `find(old)`, then `consume(old)`, then
 * `upsert(new)`. Committed one by one, a database failure between the last
 * two leaves the client's only refresh token consumed and its successor
 * never saved: the client's retry is then reuse and revokes the grant. So,
 * within one request, the adapter remembers what `find` saw, turns `consume`
 * into an intention, and commits it in one transaction with the successor's
 * insert: either both happen or neither does, and the retry finds the old
 * token unused.
 *
 * A request is told apart from another by the object `currentRequest`
 * returns (oidc-provider's `Provider.ctx`, its AsyncLocalStorage). Outside a
 * request (direct model calls), `consume` commits at once, as before.
 */

/** What `find` saw of a refresh token this request is about to rotate. */
export interface FoundRefreshToken {
  /** Its stored (hashed) id. */
  readonly storedId: string;
  /**
   * Set when the token was already rotated within the retry grace window
   * and its successor was never used: the stored id of that successor,
   * which this rotation retires instead of consuming the token again.
   */
  readonly retiring?: string;
}

export class RequestRotations {
  readonly #currentRequest: () => object | undefined;
  readonly #found = new WeakMap<object, Map<string, FoundRefreshToken>>();
  readonly #pending = new WeakMap<object, FoundRefreshToken>();

  constructor(currentRequest: () => object | undefined) {
    this.#currentRequest = currentRequest;
  }

  /** Remembers, for the current request if any, what `find` saw. */
  found(token: FoundRefreshToken): void {
    const request = this.#currentRequest();
    if (!request) return;
    const seen = this.#found.get(request) ?? new Map<string, FoundRefreshToken>();
    seen.set(token.storedId, token);
    this.#found.set(request, seen);
  }

  /**
   * Defers the consume of a token this request found (any of its stored
   * forms); false when there is no request or it never found the token, and
   * the caller must consume at once.
   */
  defer(candidates: readonly string[]): boolean {
    const request = this.#currentRequest();
    const seen = request && this.#found.get(request);
    const token = seen && candidates.map((id) => seen.get(id)).find((found) => found !== undefined);
    if (!request || !token) return false;
    this.#pending.set(request, token);
    return true;
  }

  /** The consume this request deferred, handed over once to the successor's save. */
  take(): FoundRefreshToken | undefined {
    const request = this.#currentRequest();
    if (!request) return undefined;
    const pending = this.#pending.get(request);
    this.#pending.delete(request);
    return pending;
  }
}
