import { createHmac } from 'node:crypto';
import { deriveKey } from '../keys/derive-key.js';
import { createSealer, type Sealer } from '../keys/seal.js';

/**
 * How the Knex adapter keeps bearer credentials out of `oidc_models`.
 *
 * A model's id is, for most models, the credential itself: the opaque access
 * token, the refresh token, the authorization code, the `_session` cookie,
 * the interaction cookie, the PAR `request_uri`. Those ids are stored as
 * `h1.<HMAC-SHA256>` under a key derived from TOLLGATE_SECRET (a keyed hash,
 * like client secrets and API keys are stored as hashes): a copy of the
 * database or a backup yields no usable token, and every adapter call hashes
 * the id it is given to find the row. An id wanted back without being given
 * (a session found by its `uid`, a device code by its user code) is stored
 * sealed (AES-256-GCM, keys/seal.ts), bound to its row.
 *
 * Only two models keep clear ids, because theirs are no credentials: a
 * `Grant` id is an internal reference every token row carries (revocation
 * joins on it) and is never presented by a client, and a `ReplayDetection`
 * id is already a SHA-256 of the replayed `jti`.
 */
export interface IdProtection {
  /** Whether this model's ids are stored hashed. */
  hashes(model: string): boolean;
  /** The stored form of `id`: hashed under the newest key, or `id` itself for a clear-id model. */
  storedId(model: string, id: string): string;
  /** Every stored form `id` may have (one per configured secret, newest first), for look-ups. */
  candidates(model: string, id: string): string[];
  /** Seals a credential kept for a look-up by another key; `row` binds it to the row it is stored in. */
  seal(value: string, row: string): string;
  open(sealed: string, row: string): string;
}

/** Prefix of a hashed id: a generated id never contains '.', so a clear row is told apart (hash-clear-ids.ts). */
export const HASHED_ID_PREFIX = 'h1.';

/** The models whose ids are stored as they are (see above). */
export const CLEAR_ID_MODELS: ReadonlySet<string> = new Set(['Grant', 'ReplayDetection']);
const ID_HASH_PURPOSE = 'oidc-model-ids/v1';

/**
 * Protection under `secrets`, newest first (config.secrets): ids are hashed
 * under the newest and found under any, so rotating TOLLGATE_SECRET (the old
 * one in TOLLGATE_SECRET_PREVIOUS) keeps every stored token working.
 *
 * @example createKnexAdapter(database.knex, { ids: createIdProtection(config.secrets) })
 */
export function createIdProtection(secrets: readonly string[]): IdProtection {
  const keys = secrets.map((secret) => deriveKey(secret, ID_HASH_PURPOSE));
  const sealer: Sealer = createSealer(secrets);
  const hash = (key: Buffer, id: string) => `${HASHED_ID_PREFIX}${createHmac('sha256', key).update(id, 'utf8').digest('base64url')}`;
  const hashes = (model: string) => !CLEAR_ID_MODELS.has(model);
  return {
    hashes,
    storedId: (model, id) => (hashes(model) ? hash(keys[0]!, id) : id),
    candidates: (model, id) => (hashes(model) ? [...new Set(keys.map((key) => hash(key, id)))] : [id]),
    seal: (value, row) => sealer.seal(value, `oidc-model:${row}`),
    open: (sealed, row) => sealer.open(sealed, `oidc-model:${row}`),
  };
}
