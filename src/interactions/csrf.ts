import { createHmac, timingSafeEqual } from 'node:crypto';
import { deriveKey } from '../../keys/derive-key.js';

/**
 * CSRF tokens for the interaction forms: an HMAC of the interaction's uid
 * under a key derived from TOLLGATE_SECRET. A forged cross-site POST would
 * need the token of the victim's own interaction, which only its page
 * carries; nothing is stored, so any instance can check a token another
 * instance rendered.
 */
export class CsrfTokens {
  readonly #key: Buffer;

  constructor(secret: string) {
    this.#key = deriveKey(secret, 'interaction-csrf/v1');
  }

  tokenFor(uid: string): string {
    return createHmac('sha256', this.#key).update(uid).digest('base64url');
  }

  verify(uid: string, presented: unknown): boolean {
    if (typeof presented !== 'string' || presented.length === 0 || presented.length > 128) return false;
    const expected = Buffer.from(this.tokenFor(uid));
    const given = Buffer.from(presented);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
