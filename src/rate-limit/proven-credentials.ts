import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';

/** Requests whose presented client secret verified, marked by client authentication (`compareClientSecret`). */
const verifiedSecrets = new WeakSet<object>();

/** Marks `request` (the Koa context) as one whose client secret verified. */
export function noteSecretVerified(request: object): void {
  verifiedSecrets.add(request);
}

/** Whether client authentication verified a client secret in `request`. */
export function secretVerifiedIn(request: object): boolean {
  return verifiedSecrets.has(request);
}

/** How long a proof stands without being renewed by another verified request. */
const PROOF_TTL_MS = 10 * 60_000;

/**
 * `Authorization: Basic` values whose secret verified in this process
 * recently, as SHA-256 digests (the header holds the secret). The gate
 * reserves a failure for every other attempt before the provider runs; a
 * proven credential skips argon2 through the verified-credential cache, so
 * its requests are only read against the limits, and a legitimate client's
 * concurrency is not capped by the failure limit. A proof ends at the first
 * failure of that credential (a rotated secret), so each costs at most one
 * unreserved argon2 check; only the right secret can create one.
 */
export class ProvenCredentials {
  readonly #proofs: LRUCache<string, true>;

  constructor(capacity = 10_000, now: () => number = Date.now) {
    this.#proofs = new LRUCache({ max: capacity, ttl: PROOF_TTL_MS, perf: { now }, ttlResolution: 0 });
  }

  /** The key a header is remembered by. */
  static digestOf(authorization: string): string {
    return createHash('sha256').update(authorization).digest('base64url');
  }

  has(digest: string): boolean {
    return this.#proofs.get(digest) === true;
  }

  /** Proves `digest` for PROOF_TTL_MS from now (renewing an earlier proof). */
  prove(digest: string): void {
    this.#proofs.set(digest, true);
  }

  forget(digest: string): void {
    this.#proofs.delete(digest);
  }
}
