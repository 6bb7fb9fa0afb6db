import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { SIGNING_ALGORITHMS, assertSigningAlgorithm, type SigningAlgorithm } from './algorithms.js';
import type { GeneratedKey, KeyBackend, SigningKey } from './backend.js';
import { KeyStoreError } from './errors.js';

// 2048-bit RSA is the RFC 7518 minimum and NIST-acceptable through 2030; keys
// live for weeks, and 3072 would make every rotation seconds slower.
export const RSA_MODULUS_BITS = 2048;

/**
 * Private keys generated in process and kept, sealed by the key store, in the
 * database: what a `npm start` needs nothing else for.
 */
export const databaseBackend: KeyBackend = {
  name: 'database',
  algorithms: SIGNING_ALGORITHMS,

  async generate(alg: SigningAlgorithm): Promise<GeneratedKey> {
    const { publicKey, privateKey } = await generateKeyPair(assertSigningAlgorithm(alg), {
      extractable: true,
      modulusLength: RSA_MODULUS_BITS,
    });
    const publicJwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk, 'sha256');
    return { kid, alg, publicJwk, privatePart: JSON.stringify(await exportJWK(privateKey)) };
  },

  async load({ kid, alg, privatePart }): Promise<SigningKey> {
    const jwk = JSON.parse(privatePart) as JWK;
    if (typeof jwk.kty !== 'string') {
      throw new KeyStoreError(
        'ERR_KEY_UNREADABLE',
        `signing key ${kid} is held in a PKCS#11 token, not in the database: set TOLLGATE_KEY_BACKEND=pkcs11 to sign with it`,
      );
    }
    // Keys are checked on load (as oidc-provider does): a kid that is not the
    // thumbprint of the private half means the row was tampered with.
    if ((await calculateJwkThumbprint(jwk, 'sha256')) !== kid) {
      throw new KeyStoreError('ERR_KEY_UNREADABLE', `signing key ${kid} does not match its kid (RFC 7638 thumbprint)`);
    }
    return { kind: 'jwk', jwk: { ...jwk, kid, alg, use: 'sig' } };
  },

  // Retiring or revoking a key clears its sealed row: nothing is held elsewhere.
  heldKids: async () => [],
  destroy: async () => undefined,
  check: async () => undefined,
  close: async () => undefined,
};
