import { BaseError } from '../errors/base-error.js';

/** Why a key-store operation was refused; callers branch on the code. */
export type KeyStoreErrorCode =
  | 'ERR_KEYS_NOT_INITIALIZED'
  | 'ERR_KEY_NOT_FOUND'
  | 'ERR_KEY_ALREADY_REVOKED'
  | 'ERR_ROTATION_CONFLICT'
  | 'ERR_NEXT_KEY_TOO_NEW'
  | 'ERR_UNSUPPORTED_ALGORITHM'
  | 'ERR_KEY_UNREADABLE'
  /** The PKCS#11 module, slot, token or PIN is wrong: start-up stops. */
  | 'ERR_SIGNING_MODULE_MISCONFIGURED'
  /** The PKCS#11 module did not answer or lost its session: retry later (503). */
  | 'ERR_SIGNING_MODULE_UNAVAILABLE';

/** A refused key-store operation. Messages name kids, never key material or PINs. */
export class KeyStoreError extends BaseError<KeyStoreErrorCode> {
  override readonly name = 'KeyStoreError';
}
