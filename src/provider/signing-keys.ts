import { createPublicKey, type KeyObject } from 'node:crypto';
import { ExternalSigningKey, type AsymmetricSigningAlgorithm, type Configuration, type JWK } from 'oidc-provider';
import type { ExternalSigner, SigningKey } from '../../keys/key-store.js';

/** The version of oidc-provider's experimental external signing this was written against (9.13.3). */
const EXTERNAL_SIGNING_ACK = 'experimental-01';

/**
 * A key whose private part stays in the PKCS#11 token: oidc-provider builds
 * each JWS's signing input and calls `sign` (lib/helpers/jwt.js) for every
 * JWT it signs — access tokens, ID tokens, JWT introspection and userinfo
 * responses — and publishes the public part in /jwks.
 */
class ModuleSigningKey extends ExternalSigningKey {
  readonly #signer: ExternalSigner;
  readonly #publicKey: KeyObject;

  constructor(signer: ExternalSigner) {
    super();
    this.#signer = signer;
    this.#publicKey = createPublicKey({ key: { ...signer.publicJwk }, format: 'jwk' });
  }

  override get kid(): string {
    return this.#signer.kid;
  }

  override get alg(): string {
    return this.#signer.alg;
  }

  override keyObject(): KeyObject {
    return this.#publicKey;
  }

  override async sign(data: Uint8Array): Promise<Uint8Array> {
    return this.#signer.sign(data);
  }
}

/** The signing keys' part of the provider configuration: its keystore, and external signing when a key lives in a module. */
export function signingKeyConfiguration(keys: readonly SigningKey[]): {
  jwks: NonNullable<Configuration['jwks']>;
  externalSigningSupport: { enabled: boolean; ack?: string };
} {
  const external = keys.some((key) => key.kind === 'external');
  return {
    jwks: { keys: keys.map((key): JWK | ExternalSigningKey => (key.kind === 'jwk' ? key.jwk : new ModuleSigningKey(key))) },
    externalSigningSupport: external ? { enabled: true, ack: EXTERNAL_SIGNING_ACK } : { enabled: false },
  };
}

/** The active key (first in keystore order): the one access and ID tokens are signed with. */
export function activeSigningKey(keys: readonly SigningKey[]): { kid: string; alg: AsymmetricSigningAlgorithm } {
  const active = keys[0];
  const labels = active?.kind === 'jwk' ? active.jwk : active;
  if (!labels?.kid || !labels.alg) throw new Error('the key store returned no active signing key');
  return { kid: labels.kid, alg: labels.alg as AsymmetricSigningAlgorithm };
}
