import { hkdfSync } from 'node:crypto';

/**
 * A 32-byte key for one purpose, derived from the server secret with
 * HKDF-SHA256 (`info` = `tollgate/<purpose>`). Every use of the secret
 * (sealing keys, credential cache, cookies, CSRF tokens, DPoP nonces) gets
 * its own key, so one leaking says nothing about the others, and every
 * instance of a deployment derives the same one.
 *
 * @example deriveKey(secret, 'cookies/v1') // Buffer(32)
 */
export function deriveKey(secret: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), `tollgate/${purpose}`, 32));
}
