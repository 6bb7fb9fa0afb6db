import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { BaseError } from '../errors/base-error.js';
import { deriveKey } from './derive-key.js';

/**
 * AES-256-GCM sealing under a list of secrets, newest first (the idea of
 * Hydra's `jwk/aead.go`): `seal` always uses the newest secret and `open`
 * accepts any of them, so `TOLLGATE_SECRET` can rotate while values sealed
 * under the previous one stay readable until they are resealed.
 *
 * A sealed value is `v1.<keyId>.<iv>.<ciphertext>.<tag>` (base64url parts).
 * `keyId` names the derived key without revealing it, so `open` goes straight
 * to the right secret and can tell "sealed under a secret we no longer have"
 * apart from "tampered with".
 */

const FORMAT_VERSION = 'v1';
// Distinct HKDF info keeps this key independent of anything else derived
// from the same TOLLGATE_SECRET (cookies, credential-cache HMACs, …).
const SEAL_PURPOSE = 'seal/v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Why sealing or opening failed; callers branch on the code, never on the message. */
export type SealErrorCode =
  | 'ERR_SEAL_NO_SECRET'
  | 'ERR_SEAL_MALFORMED'
  | 'ERR_SEAL_UNKNOWN_SECRET'
  | 'ERR_SEAL_AUTHENTICATION_FAILED';

/** A sealing failure. Messages never contain key material, secrets or plaintext. */
export class SealError extends BaseError<SealErrorCode> {
  override readonly name = 'SealError';
}

/** Seals and opens strings under the configured secrets. */
export interface Sealer {
  /** Non-secret id of the key `seal` uses now (the newest secret's). */
  readonly currentKeyId: string;
  /**
   * Encrypts `plaintext` under the newest secret. `aad` binds the result to
   * its context (e.g. the row it is stored in): `open` must be given the same.
   */
  seal(plaintext: string, aad?: string): string;
  /** Decrypts a value from `seal` under whichever configured secret sealed it. */
  open(sealed: string, aad?: string): string;
  /** False when the value was sealed under an older secret and should be resealed. */
  isSealedWithNewest(sealed: string): boolean;
}

interface DerivedKey {
  readonly id: string;
  readonly key: Buffer;
}

interface SealedParts {
  readonly keyId: string;
  readonly iv: Buffer;
  readonly ciphertext: Buffer;
  readonly tag: Buffer;
}

function sealingKey(secret: string): DerivedKey {
  const key = deriveKey(secret, SEAL_PURPOSE);
  const id = createHash('sha256').update(key).digest().subarray(0, 8).toString('base64url');
  return { id, key };
}

// The header is authenticated too, so a value cannot be relabelled with
// another key id or format version. A key id never contains '.', so the
// header and `aad` cannot be shifted into each other.
function associatedData(keyId: string, aad: string | undefined): Buffer {
  return Buffer.from(`${FORMAT_VERSION}.${keyId}.${aad ?? ''}`, 'utf8');
}

function parseSealed(sealed: string): SealedParts {
  const parts = sealed.split('.');
  if (parts.length !== 5 || parts[0] !== FORMAT_VERSION) {
    throw new SealError('ERR_SEAL_MALFORMED', `sealed value is not in the ${FORMAT_VERSION} format`);
  }
  const [, keyId = '', iv = '', ciphertext = '', tag = ''] = parts;
  const decoded = {
    keyId,
    iv: Buffer.from(iv, 'base64url'),
    ciphertext: Buffer.from(ciphertext, 'base64url'),
    tag: Buffer.from(tag, 'base64url'),
  };
  if (keyId === '' || decoded.iv.length !== IV_BYTES || decoded.tag.length !== TAG_BYTES) {
    throw new SealError('ERR_SEAL_MALFORMED', 'sealed value has a missing key id or a wrong IV or tag length');
  }
  return decoded;
}

/**
 * Creates a sealer over `secrets`, newest first: config passes
 * `[TOLLGATE_SECRET, ...TOLLGATE_SECRET_PREVIOUS]`. Each secret gets its own
 * AES-256 key through HKDF-SHA256.
 *
 * @example
 * const sealer = createSealer([config.secrets[0], ...config.secrets.slice(1)]);
 * const sealed = sealer.seal(JSON.stringify(privateJwk), privateKeyAad(kid)); // `tollgate/signing-key/${kid}`
 * const jwk = JSON.parse(sealer.open(sealed, privateKeyAad(kid)));
 */
export function createSealer(secrets: readonly string[]): Sealer {
  if (secrets.length === 0 || secrets.some((secret) => typeof secret !== 'string' || secret.length === 0)) {
    throw new SealError('ERR_SEAL_NO_SECRET', 'createSealer needs at least one secret and no empty ones');
  }
  const keys = secrets.map(sealingKey);
  const newest = keys[0] as DerivedKey;
  const byId = new Map<string, DerivedKey>();
  for (const key of keys) if (!byId.has(key.id)) byId.set(key.id, key);

  return {
    currentKeyId: newest.id,

    seal(plaintext, aad) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', newest.key, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(associatedData(newest.id, aad));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [FORMAT_VERSION, newest.id, iv, ciphertext, tag]
        .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
        .join('.');
    },

    open(sealed, aad) {
      const parts = parseSealed(sealed);
      const key = byId.get(parts.keyId);
      if (!key) {
        throw new SealError(
          'ERR_SEAL_UNKNOWN_SECRET',
          `value was sealed under a secret that is not configured (key id ${parts.keyId}); ` +
            'add the old secret to TOLLGATE_SECRET_PREVIOUS',
        );
      }
      const decipher = createDecipheriv('aes-256-gcm', key.key, parts.iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(associatedData(parts.keyId, aad));
      decipher.setAuthTag(parts.tag);
      try {
        return Buffer.concat([decipher.update(parts.ciphertext), decipher.final()]).toString('utf8');
      } catch {
        // Node's own message says nothing secret, but ours says what it means.
        throw new SealError(
          'ERR_SEAL_AUTHENTICATION_FAILED',
          'sealed value failed authentication: it was altered or belongs to another context',
        );
      }
    },

    isSealedWithNewest(sealed) {
      return parseSealed(sealed).keyId === newest.id;
    },
  };
}
