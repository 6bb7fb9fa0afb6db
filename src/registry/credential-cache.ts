import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { hashSecret, verifySecret } from './secrets.js';
import { deriveKey } from '../../keys/derive-key.js';

/**
 * Skips argon2 for a credential that already proved itself recently.
 *
 * Entries are keyed by an HMAC (under a key derived from TOLLGATE_SECRET) of
 * everything that makes the credential valid: its id, the stored hash, the
 * token version and the presented secret. Rotating the secret or bumping the
 * token version changes the key, so such entries are simply never hit again,
 * in every process, without any invalidation message; a disabled client never
 * reaches the comparison at all. Only successes are cached, so a wrong secret
 * always pays the full argon2 cost. Memory is bounded (least recently used evicted).
 */
export class VerifiedCredentialCache {
  // A KeyObject, not a Buffer: createHmac would import a Buffer key again on every request.
  readonly #hmacKey: KeyObject;
  /** Undefined with a TTL of 0: nothing is cached. */
  readonly #entries: LRUCache<string, true> | undefined;

  constructor(secret: string, options: { ttlSeconds: number; maxEntries?: number; clock?: () => number }) {
    this.#hmacKey = createSecretKey(deriveKey(secret, 'credential-cache/v1'));
    const ttl = options.ttlSeconds * 1000;
    this.#entries =
      ttl > 0 ? new LRUCache({ max: options.maxEntries ?? 50_000, ttl, perf: { now: options.clock ?? Date.now }, ttlResolution: 0 }) : undefined;
  }

  #key(parts: readonly (string | number)[]): string {
    return createHmac('sha256', this.#hmacKey).update(JSON.stringify(parts)).digest('base64url');
  }

  /**
   * Verifies `presented` against `storedHash`, from the cache when the same
   * credential state was proven within the TTL.
   * @param identity what the credential belongs to and what invalidates it,
   *   e.g. `[clientId, tokenVersion]`.
   */
  async verify(identity: readonly (string | number)[], storedHash: string, presented: string): Promise<boolean> {
    const key = this.#key([...identity, storedHash, presented]);
    if (this.#entries?.get(key)) return true;
    const valid = await verifySecret(storedHash, presented);
    if (valid) this.#entries?.set(key, true);
    return valid;
  }

  get size(): number {
    return this.#entries?.size ?? 0;
  }
}

let decoyHash: Promise<string> | undefined;

/**
 * Pays one argon2 verification for a credential that does not exist, so an
 * unknown client id costs the same time as a known one with a wrong secret
 * (otherwise response time tells an attacker which client ids exist).
 */
export async function verifyAgainstDecoy(presented: string): Promise<void> {
  decoyHash ??= hashSecret('tollgate-decoy-credential');
  await verifySecret(await decoyHash, presented || 'x');
}
