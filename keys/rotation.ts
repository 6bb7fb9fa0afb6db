import type { Knex } from 'knex';
import { humanDuration } from './duration.js';
import type { SigningAlgorithm } from './algorithms.js';
import { KeyStoreError } from './errors.js';
import { SIGNING_KEYS_TABLE, type KeyState, type SigningKeyRow } from './signing-keys-table.js';

/**
 * The signing-key lifecycle, one transaction at a time:
 *
 *     next ──rotate──▶ active ──rotate──▶ retiring ──retireExpired──▶ retired
 *       │                │                   │
 *       └──────────── revoke ───────────────┴──────────▶ revoked
 *
 * What the provider and /jwks see in each state: `next` is published but
 * does not sign (so verifiers have it before it signs), `active` signs,
 * `retiring` is published until every token it signed has expired, and
 * `retired`/`revoked` keys are gone from both with their private part
 * destroyed. Every function here runs inside a transaction that already holds
 * the signing-key lock (signing-keys-table.ts); key generation happens
 * before, outside the lock, because RSA generation is slow and SQLite has a
 * single connection that every other query would queue behind.
 */

/** A generated key, private part already sealed, ready to insert. */
export interface NewSigningKey {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly publicJwk: string;
  readonly sealedPrivate: string;
}

/** What one lifecycle transaction works with: the lock is held, `now` is fixed. */
export interface Transition {
  readonly trx: Knex.Transaction;
  readonly now: number;
  readonly retireAfterMs: number;
}

/** The kids a rotation moved. */
export interface RotationResult {
  /** The former `next` key, now signing (already published, so verifiers know it). */
  readonly activated: string;
  /** The former `active` key, published until `retireAfter`. */
  readonly retiring: string;
  /** The freshly created `next` key. */
  readonly next: string;
}

/** What a revocation changed. */
export interface RevocationResult {
  readonly revoked: string;
  readonly previousState: KeyState;
  /** Set when the revoked key was active: the `next` key that took over signing. */
  readonly activated?: string;
  /** Set when the revoked key was active or next: the replacement `next` key. */
  readonly next?: string;
}

async function findKeyInState(trx: Knex.Transaction, state: KeyState): Promise<SigningKeyRow | undefined> {
  return trx<SigningKeyRow>(SIGNING_KEYS_TABLE).where({ state }).first();
}

async function insertKey(t: Transition, key: NewSigningKey, state: 'active' | 'next'): Promise<void> {
  await t.trx<SigningKeyRow>(SIGNING_KEYS_TABLE).insert({
    kid: key.kid,
    alg: key.alg,
    state,
    public_jwk: key.publicJwk,
    sealed_private: key.sealedPrivate,
    created_at: t.now,
    activated_at: state === 'active' ? t.now : null,
  });
}

// Compare-and-set: the move happens only from the state the caller saw. The
// lock already serialises transitions; this keeps a lost race from ever
// becoming a wrong state if a writer ever bypasses it.
async function moveState(t: Transition, kid: string, from: KeyState, to: KeyState, changes: Partial<SigningKeyRow>): Promise<void> {
  const updated = await t.trx<SigningKeyRow>(SIGNING_KEYS_TABLE)
    .where({ kid, state: from })
    .update({ ...changes, state: to });
  if (updated !== 1) {
    throw new KeyStoreError('ERR_ROTATION_CONFLICT', `key ${kid} is no longer ${from}: another operation changed it first`);
  }
}

const destroyed = (at: 'retired_at' | 'revoked_at', now: number): Partial<SigningKeyRow> => ({ [at]: now, sealed_private: null });

/**
 * Makes sure there is one `active` and one `next` key, creating what is
 * missing from the candidates; a database that already has both is left
 * alone, so restarts and concurrent starts reuse the same keys.
 */
export async function ensureActiveAndNext(t: Transition, candidates: { active: NewSigningKey; next: NewSigningKey }): Promise<void> {
  let next = await findKeyInState(t.trx, 'next');
  if (!(await findKeyInState(t.trx, 'active'))) {
    if (next) {
      // A published key exists: let it sign rather than an unpublished one.
      await moveState(t, next.kid, 'next', 'active', { activated_at: t.now });
      next = undefined;
    } else {
      await insertKey(t, candidates.active, 'active');
    }
  }
  if (!next) await insertKey(t, candidates.next, 'next');
}

/**
 * next → active, active → retiring, new next. `expectedNextKid` is the next
 * key the caller saw before taking the lock: if another rotation promoted it
 * meanwhile, this one is refused instead of rotating a second time, which
 * would make a key sign that no verifier has fetched yet.
 */
export async function rotateKeys(
  t: Transition,
  plan: { expectedNextKid: string; replacement: NewSigningKey; nextKeyMinAgeMs: number },
): Promise<RotationResult> {
  const active = await findKeyInState(t.trx, 'active');
  const next = await findKeyInState(t.trx, 'next');
  if (!active || !next) throw new KeyStoreError('ERR_KEYS_NOT_INITIALIZED', 'no active or next signing key: run initialize() first');
  if (next.kid !== plan.expectedNextKid) {
    throw new KeyStoreError('ERR_ROTATION_CONFLICT', `key ${plan.expectedNextKid} was already promoted by another rotation`);
  }
  const age = t.now - next.created_at;
  if (age < plan.nextKeyMinAgeMs) {
    throw new KeyStoreError(
      'ERR_NEXT_KEY_TOO_NEW',
      `next key ${next.kid} was published ${humanDuration(age)} ago; verifiers may not have fetched it yet: ` +
        `it may be promoted in ${humanDuration(plan.nextKeyMinAgeMs - age)}`,
    );
  }
  // Demote before promoting: the one-active index is checked per statement.
  await moveState(t, active.kid, 'active', 'retiring', { retiring_at: t.now, retire_after: t.now + t.retireAfterMs });
  await moveState(t, next.kid, 'next', 'active', { activated_at: t.now });
  await insertKey(t, plan.replacement, 'next');
  return { activated: next.kid, retiring: active.kid, next: plan.replacement.kid };
}

/**
 * Emergency removal: the key leaves signing and /jwks at once and its private
 * part is destroyed. An active key is replaced by the next key immediately
 * (no minimum age: a compromised key is worse than a short-lived unknown
 * kid); an active or next key gets `replacement` as the new next key.
 */
export async function revokeKey(t: Transition, kid: string, replacement: NewSigningKey | undefined): Promise<RevocationResult> {
  const key = await t.trx<SigningKeyRow>(SIGNING_KEYS_TABLE).where({ kid }).first();
  if (!key) throw new KeyStoreError('ERR_KEY_NOT_FOUND', `no signing key ${kid}`);
  if (key.state === 'revoked') throw new KeyStoreError('ERR_KEY_ALREADY_REVOKED', `signing key ${kid} is already revoked`);
  const previousState = key.state;
  if (previousState !== 'active' && previousState !== 'next') {
    await moveState(t, kid, previousState, 'revoked', destroyed('revoked_at', t.now));
    return { revoked: kid, previousState };
  }
  if (!replacement) {
    throw new KeyStoreError('ERR_ROTATION_CONFLICT', `key ${kid} became ${previousState} while being revoked; try again`);
  }
  const next = await findKeyInState(t.trx, 'next');
  await moveState(t, kid, previousState, 'revoked', destroyed('revoked_at', t.now));
  let activated: string | undefined;
  if (previousState === 'active') {
    if (!next) throw new KeyStoreError('ERR_KEYS_NOT_INITIALIZED', 'no next signing key to take over from the revoked one');
    await moveState(t, next.kid, 'next', 'active', { activated_at: t.now });
    activated = next.kid;
  }
  await insertKey(t, replacement, 'next');
  return { revoked: kid, previousState, ...(activated ? { activated } : {}), next: replacement.kid };
}

/** retiring → retired for every key whose retire_after has passed; returns their kids. */
export async function retireExpiredKeys(t: Transition): Promise<string[]> {
  const due = await t.trx<SigningKeyRow>(SIGNING_KEYS_TABLE)
    .where({ state: 'retiring' })
    .andWhere('retire_after', '<=', t.now)
    .orderBy('kid')
    .pluck('kid');
  for (const kid of due) await moveState(t, kid, 'retiring', 'retired', destroyed('retired_at', t.now));
  return due;
}
