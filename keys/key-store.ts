import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { Knex } from 'knex';
import { inTransaction } from '../adapters/database.js';
import { assertSigningAlgorithm, type SigningAlgorithm } from './algorithms.js';
import type { KeyBackend, SigningKey } from './backend.js';
import { databaseBackend } from './database-backend.js';
import { KeyStoreError } from './errors.js';
import {
  ensureActiveAndNext,
  retireExpiredKeys,
  revokeKey,
  rotateKeys,
  type NewSigningKey,
  type RevocationResult,
  type RotationResult,
  type Transition,
} from './rotation.js';
import type { Sealer } from './seal.js';
import { openPrivatePart, openSealed, privateKeyAad, sealGeneratedKey } from './sealed-private-part.js';
import { PUBLISHED_STATES, SIGNING_KEYS_TABLE, lockSigningKeys, type KeyState, type SigningKeyRow } from './signing-keys-table.js';

export { SIGNING_ALGORITHMS, isSigningAlgorithm } from './algorithms.js';
export type { SigningAlgorithm } from './algorithms.js';
export type { ExternalSigner, KeyBackend, SigningKey } from './backend.js';
export { KeyStoreError } from './errors.js';
export type { KeyStoreErrorCode } from './errors.js';
export type { RevocationResult, RotationResult } from './rotation.js';
export type { KeyState } from './signing-keys-table.js';
export { privateKeyAad, sealGeneratedKey } from './sealed-private-part.js';

export interface KeyStoreOptions {
  /**
   * How long a retiring key stays published after a rotation: the longest
   * access-token TTL + the JWKS cache max-age + a margin.
   */
  readonly retireAfterMs: number;
  /**
   * How long a `next` key must have been published before `rotate()` lets it
   * sign: the JWKS cache max-age + a margin. Also stops two rotations in a
   * row from activating a key created a moment ago. Default 0 (no wait).
   */
  readonly nextKeyMinAgeMs?: number;
  /** Algorithm of the keys `initialize()` creates. Default ES256. */
  readonly defaultAlg?: SigningAlgorithm;
  /** Epoch milliseconds; injected by tests. Default `Date.now`. */
  readonly clock?: () => number;
  /** Where private keys are made and kept (TOLLGATE_KEY_BACKEND). Default: sealed in the database. */
  readonly backend?: KeyBackend;
}

/** What the provider needs: the keys it holds, the one it signs with, and a cheap change marker. */
export interface SigningKeySet {
  /** Changes whenever a published key is added, removed or changes state. */
  readonly version: string;
  /** The kid to pin for signing. */
  readonly activeKid: string;
  /** What the provider signs with (private JWKs or keys in a module): active first, then next, then retiring. */
  readonly signingKeys: SigningKey[];
  /** The same keys, public parts only, same order. */
  readonly publicJwks: JWK[];
}

/** A key as an operator sees it; never any private material. Times in epoch ms. */
export interface KeyInfo {
  readonly kid: string;
  readonly alg: string;
  readonly state: KeyState;
  readonly createdAt: number;
  readonly activatedAt: number | null;
  readonly retiringAt: number | null;
  readonly retireAfter: number | null;
  readonly retiredAt: number | null;
  readonly revokedAt: number | null;
}

const STATE_ORDER: Record<KeyState, number> = { active: 0, next: 1, retiring: 2, retired: 3, revoked: 4 };

// Newest retiring key first: it signed most recently, so it is the one
// verifiers still need most.
function keystoreOrder(a: SigningKeyRow, b: SigningKeyRow): number {
  return STATE_ORDER[a.state] - STATE_ORDER[b.state] || (b.retiring_at ?? 0) - (a.retiring_at ?? 0) || a.kid.localeCompare(b.kid);
}

function versionOf(keys: readonly Pick<SigningKeyRow, 'kid' | 'state'>[]): string {
  const lines = keys.map((key) => `${key.kid}:${key.state}`).sort();
  return createHash('sha256').update(lines.join('\n')).digest('base64url').slice(0, 22);
}

/**
 * Signing keys in the database, private parts sealed with {@link Sealer} or
 * kept in a PKCS#11 token (the row then seals where the token keeps them).
 * Every instance of the server reads the same rows; lifecycle changes run in
 * one transaction each under a lock, and the database enforces one active
 * and one next key (see adapters/migrations/003-signing-keys.ts).
 *
 * @example
 * const keys = new KeyStore(database.knex, createSealer(config.secrets), { retireAfterMs: 20 * 60_000 });
 * await keys.initialize();
 * const { activeKid, signingKeys } = await keys.current();
 */
export class KeyStore {
  readonly #knex: Knex;
  readonly #sealer: Sealer;
  readonly #clock: () => number;
  readonly #defaultAlg: SigningAlgorithm;
  readonly #retireAfterMs: number;
  readonly #nextKeyMinAgeMs: number;
  readonly #backend: KeyBackend;

  constructor(knex: Knex, sealer: Sealer, options: KeyStoreOptions) {
    const durations = { retireAfterMs: options.retireAfterMs, nextKeyMinAgeMs: options.nextKeyMinAgeMs ?? 0 };
    for (const [name, value] of Object.entries(durations)) {
      if (!(Number.isSafeInteger(value) && value >= 0)) {
        throw new RangeError(`KeyStore option ${name} must be a whole number of milliseconds ≥ 0`);
      }
    }
    this.#knex = knex;
    this.#sealer = sealer;
    this.#clock = options.clock ?? Date.now;
    this.#backend = options.backend ?? databaseBackend;
    this.#defaultAlg = assertSigningAlgorithm(options.defaultAlg ?? 'ES256', this.#backend.algorithms);
    this.#retireAfterMs = durations.retireAfterMs;
    this.#nextKeyMinAgeMs = durations.nextKeyMinAgeMs;
  }

  /**
   * At first start creates an active and a pre-published next key; later
   * starts reuse them. Safe to run from several processes at once.
   */
  async initialize(): Promise<void> {
    const states = await this.#knex<SigningKeyRow>(SIGNING_KEYS_TABLE).whereIn('state', ['active', 'next']).pluck('state');
    if (states.length === 2) return;
    const candidates = { active: await this.#generate(this.#defaultAlg), next: await this.#generate(this.#defaultAlg) };
    await this.#withGenerated([candidates.active, candidates.next], () => this.#transition((t) => ensureActiveAndNext(t, candidates)));
  }

  /** The published keys with their private parts opened, for building the provider's keystore. */
  async current(): Promise<SigningKeySet> {
    const rows = (await this.#knex<SigningKeyRow>(SIGNING_KEYS_TABLE).whereIn('state', PUBLISHED_STATES)).sort(keystoreOrder);
    const active = rows[0];
    if (active?.state !== 'active') {
      throw new KeyStoreError('ERR_KEYS_NOT_INITIALIZED', 'no active signing key: run initialize() first');
    }
    const signingKeys: SigningKey[] = [];
    const publicJwks: JWK[] = [];
    for (const row of rows) {
      const alg = assertSigningAlgorithm(row.alg);
      const publicJwk = JSON.parse(row.public_jwk) as JWK;
      // Keys are checked on load (as oidc-provider does): a kid that is not
      // the thumbprint of the public half means the row was tampered with
      // (the database backend checks the private half too).
      if ((await calculateJwkThumbprint(publicJwk, 'sha256')) !== row.kid) {
        throw new KeyStoreError('ERR_KEY_UNREADABLE', `signing key ${row.kid} does not match its kid (RFC 7638 thumbprint)`);
      }
      signingKeys.push(await this.#backend.load({ kid: row.kid, alg, publicJwk, privatePart: openPrivatePart(this.#sealer, row) }));
      publicJwks.push({ ...publicJwk, kid: row.kid, alg, use: 'sig' });
    }
    return { version: versionOf(rows), activeKid: active.kid, signingKeys, publicJwks };
  }

  /** The `version` that `current()` would return, without opening any private key. */
  async version(): Promise<string> {
    return versionOf(await this.#knex<SigningKeyRow>(SIGNING_KEYS_TABLE).whereIn('state', PUBLISHED_STATES).select('kid', 'state'));
  }

  /** Every key, including retired and revoked ones, oldest first. */
  async list(): Promise<KeyInfo[]> {
    const rows = await this.#knex<SigningKeyRow>(SIGNING_KEYS_TABLE).orderBy([{ column: 'created_at' }, { column: 'kid' }]);
    return rows.map((row) => ({
      kid: row.kid,
      alg: row.alg,
      state: row.state,
      createdAt: row.created_at,
      activatedAt: row.activated_at,
      retiringAt: row.retiring_at,
      retireAfter: row.retire_after,
      retiredAt: row.retired_at,
      revokedAt: row.revoked_at,
    }));
  }

  /**
   * next → active, active → retiring (published for `retireAfterMs` more),
   * and a new next key. The new next key uses `alg` when given, otherwise
   * the old next key's: changing algorithm therefore takes two rotations,
   * so that a key in the new algorithm is published before it signs.
   * A rotation racing another one fails with ERR_ROTATION_CONFLICT.
   */
  async rotate(options: { alg?: SigningAlgorithm } = {}): Promise<RotationResult> {
    const next = await this.#knex<SigningKeyRow>(SIGNING_KEYS_TABLE).where({ state: 'next' }).first();
    if (!next) throw new KeyStoreError('ERR_KEYS_NOT_INITIALIZED', 'no next signing key: run initialize() first');
    const replacement = await this.#generate(options.alg ?? next.alg);
    return this.#withGenerated([replacement], () =>
      this.#transition((t) => rotateKeys(t, { expectedNextKid: next.kid, replacement, nextKeyMinAgeMs: this.#nextKeyMinAgeMs })),
    );
  }

  /**
   * Emergency: `kid` leaves signing and /jwks at once and its private part
   * is destroyed. Revoking the active key activates the next key now and
   * creates a new next; revoking the next key creates a replacement.
   * Revoking a retired key only records that it was compromised.
   */
  async revoke(kid: string): Promise<RevocationResult> {
    const key = await this.#knex<SigningKeyRow>(SIGNING_KEYS_TABLE).where({ kid }).first();
    if (!key) throw new KeyStoreError('ERR_KEY_NOT_FOUND', `no signing key ${kid}`);
    let replacement: NewSigningKey | undefined;
    // States only move forward, so a key that is not active or next now will
    // not need a replacement inside the transaction either.
    if (key.state === 'active' || key.state === 'next') {
      const next = await this.#knex<SigningKeyRow>(SIGNING_KEYS_TABLE).where({ state: 'next' }).first();
      replacement = await this.#generate(next?.alg ?? this.#defaultAlg);
    }
    const result = await this.#withGenerated(replacement ? [replacement] : [], () => this.#transition((t) => revokeKey(t, kid, replacement)));
    await this.#destroyAfterCommit(`signing key ${kid} is revoked`);
    return result;
  }

  /** Retires (and destroys the private part of) every retiring key past its retire_after. */
  async retireExpired(): Promise<string[]> {
    // Hosts call this on a timer on every instance: skip the lock (a write
    // lock on SQLite) when there is nothing to do.
    const due = await this.#knex<SigningKeyRow>(SIGNING_KEYS_TABLE)
      .where({ state: 'retiring' })
      .andWhere('retire_after', '<=', this.#clock())
      .first('kid');
    if (!due) return [];
    const retired = await this.#transition(retireExpiredKeys);
    await this.#destroyAfterCommit(`signing keys ${retired.join(', ')} are retired`);
    return retired;
  }

  /**
   * Destroys what the backend still holds of retired and revoked keys (the
   * PKCS#11 token's objects); returns their kids. Retiring and revoking
   * call it after their change commits; hosts also call it on their
   * maintenance timer, so an object a module outage kept alive is destroyed
   * once the module answers again.
   */
  async destroyUnusedPrivateParts(): Promise<string[]> {
    const held = await this.#backend.heldKids();
    if (!held.length) return [];
    const unused = await this.#knex<SigningKeyRow>(SIGNING_KEYS_TABLE)
      .whereIn('kid', held)
      .whereIn('state', ['retired', 'revoked'])
      .orderBy('kid')
      .pluck('kid');
    if (unused.length) await this.#backend.destroy(unused);
    return unused;
  }

  /**
   * Reseals every stored private key under the newest secret, after
   * `TOLLGATE_SECRET` rotated; returns how many rows changed. Once it has
   * run everywhere, the old secret can leave TOLLGATE_SECRET_PREVIOUS.
   */
  async reseal(): Promise<number> {
    return this.#transition(async ({ trx }) => {
      const rows = await trx<SigningKeyRow>(SIGNING_KEYS_TABLE).whereNotNull('sealed_private').select('kid', 'sealed_private');
      let changed = 0;
      for (const row of rows) {
        const sealed = row.sealed_private as string;
        if (this.#sealer.isSealedWithNewest(sealed)) continue;
        const resealed = this.#sealer.seal(openSealed(this.#sealer, row.kid, sealed), privateKeyAad(row.kid));
        changed += await trx<SigningKeyRow>(SIGNING_KEYS_TABLE)
          .where({ kid: row.kid, sealed_private: sealed })
          .update({ sealed_private: resealed });
      }
      return changed;
    });
  }

  async #transition<T>(work: (t: Transition) => Promise<T>): Promise<T> {
    return inTransaction(this.#knex, async (trx) => {
      await lockSigningKeys(trx);
      // Read the clock once the lock is held: the time of the change itself.
      return work({ trx, now: this.#clock(), retireAfterMs: this.#retireAfterMs });
    });
  }

  // The state change stands (the key neither signs nor is published any
  // more); what failed is only the destruction, which maintenance retries.
  async #destroyAfterCommit(done: string): Promise<void> {
    try {
      await this.destroyUnusedPrivateParts();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new KeyStoreError('ERR_SIGNING_MODULE_UNAVAILABLE', `${done}, but not yet destroyed in the ${this.#backend.name} backend (retried every minute): ${reason}`, {
        cause: error,
      });
    }
  }

  async #generate(alg: string): Promise<NewSigningKey> {
    return sealGeneratedKey(await this.#backend.generate(assertSigningAlgorithm(alg, this.#backend.algorithms)), this.#sealer);
  }

  /**
   * Runs a transition that may insert some of `generated`; the keys it did
   * not insert (a lost race, a refusal, a start-up that found keys already)
   * are destroyed in the backend, so a token does not fill with orphans.
   */
  async #withGenerated<T>(generated: readonly NewSigningKey[], work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } finally {
      const kids = generated.map((key) => key.kid);
      try {
        const stored = new Set(await this.#knex<SigningKeyRow>(SIGNING_KEYS_TABLE).whereIn('kid', kids).pluck('kid'));
        const unused = kids.filter((kid) => !stored.has(kid));
        if (unused.length) await this.#backend.destroy(unused);
      } catch {
        // The database or module is down: the work's own outcome is what the
        // caller needs. An orphan left behind holds no row, so it never signs.
      }
    }
  }
}
