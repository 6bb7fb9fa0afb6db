import type { VerifiedCredentialCache } from '../registry/credential-cache.js';
import { verifySecret, waitLikeVerification } from '../registry/secrets.js';
import { emitEvent, type ApiKeyEventListener, type ApiKeyFailureReason } from './events.js';
import { parseApiKey } from './format.js';
import type { LastUsedRecorder } from './last-used.js';
import { statusAt, type ApiKeyRecord } from './records.js';

/** The outcome of checking a presented key; `reason` is for audit and logs, never for the caller. */
export type ApiKeyVerification =
  | {
      active: true;
      id: string;
      tenantId: string;
      /** Tenant slug. */
      tenant: string;
      scopes: string[];
      /** The resource servers the key is for (its `aud`). */
      audiences: string[];
      /** Epoch ms, or null for a key that never expires. */
      expiresAt: number | null;
    }
  | { active: false; reason: ApiKeyFailureReason };

/** Where the verifier reads keys (ApiKeyRepository: a cached primary-key read). */
export interface ApiKeyLookup {
  findForVerification(id: string): Promise<ApiKeyRecord | undefined>;
}

export interface ApiKeyVerifierOptions {
  /** The same cache client secrets use: a repeat request skips argon2. */
  credentials: VerifiedCredentialCache;
  lastUsed: LastUsedRecorder;
  clock?: () => number;
  onEvent?: ApiKeyEventListener;
  /** How an unknown id is answered in a wrong secret's time without argon2 (tests make it instant). */
  waitForUnknownKey?: () => Promise<void>;
}

/**
 * Checks presented API keys. The cost of each outcome is chosen so that
 * timing tells an attacker nothing useful:
 *
 * - a malformed key or bad checksum is refused with no query and no argon2
 *   (it is a typo or garbage, and cheap to refuse is the point of the checksum);
 * - a well-formed key whose id does not exist (one primary-key read,
 *   misses cached briefly) runs no argon2 at all: it waits as long as a
 *   verification typically takes, on a timer, then gets the same answer as
 *   a wrong secret; so a flood of made-up keys costs no CPU, and response
 *   time still does not reveal which ids exist (issue 16.4);
 * - a key whose id exists but is not accepted pays one full argon2
 *   verification, whether its secret is wrong or the key revoked or expired;
 * - an accepted key is served from the verified-credential cache when it
 *   proved itself recently.
 *
 * Revocation and expiry are checked before the cache is consulted, so a
 * revoked or rotated-out key is never accepted from it.
 */
export class ApiKeyVerifier {
  readonly #keys: ApiKeyLookup;
  readonly #credentials: VerifiedCredentialCache;
  readonly #lastUsed: LastUsedRecorder;
  readonly #clock: () => number;
  readonly #onEvent: ApiKeyEventListener | undefined;
  readonly #waitForUnknownKey: () => Promise<void>;

  constructor(keys: ApiKeyLookup, options: ApiKeyVerifierOptions) {
    this.#keys = keys;
    this.#credentials = options.credentials;
    this.#lastUsed = options.lastUsed;
    this.#clock = options.clock ?? Date.now;
    this.#onEvent = options.onEvent;
    this.#waitForUnknownKey = options.waitForUnknownKey ?? waitLikeVerification;
  }

  /**
   * Verifies a presented key (any untrusted value).
   * @example
   * const result = await verifier.verifyApiKey(request.headers['x-api-key']);
   * if (!result.active) return unauthorized(); // log result.reason, never the key
   */
  async verifyApiKey(value: unknown): Promise<ApiKeyVerification> {
    const parsed = parseApiKey(value);
    if (!parsed) return this.#refuse('malformed');

    const record = await this.#keys.findForVerification(parsed.id);
    // The environment tag is covered by the checksum but not by the hash:
    // a live key relabelled as test is not that key.
    if (!record || record.env !== parsed.env) {
      await this.#waitForUnknownKey();
      return this.#refuse('unknown', { apiKeyId: parsed.id });
    }

    const identity = { apiKeyId: record.id, tenantId: record.tenantId };
    const status = statusAt(record, this.#clock());
    if (status !== 'active') {
      // Straight to argon2, never the cache: the audit learns whether the
      // holder of a revoked or expired key is still using it, or is guessing.
      const holdsKey = await verifySecret(record.secretHash, parsed.secret);
      return this.#refuse(holdsKey ? status : 'wrong_secret', identity);
    }
    if (!(await this.#credentials.verify(['api_key', record.id], record.secretHash, parsed.secret))) {
      return this.#refuse('wrong_secret', identity);
    }

    this.#lastUsed.record(record.id);
    return {
      active: true,
      id: record.id,
      tenantId: record.tenantId,
      tenant: record.tenantSlug,
      scopes: [...record.scopes],
      audiences: [...record.resources],
      expiresAt: record.expiresAt,
    };
  }

  #refuse(reason: ApiKeyFailureReason, identity: { apiKeyId?: string; tenantId?: string } = {}): ApiKeyVerification {
    emitEvent(this.#onEvent, { type: 'api_key.verification_failed', reason, ...identity });
    return { active: false, reason };
  }

  /** Writes the pending last-used times and stops the flush timer (graceful shutdown). */
  stop(): Promise<void> {
    return this.#lastUsed.stop();
  }
}
