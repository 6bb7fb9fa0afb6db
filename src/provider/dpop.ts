import type { Configuration } from 'oidc-provider';
import type { Config } from '../config.js';
import { deriveKey } from '../../keys/derive-key.js';

/** DPoP proof algorithms the token endpoint accepts (advertised as dpop_signing_alg_values_supported). */
export const DPOP_SIGNING_ALGORITHMS = ['ES256', 'EdDSA', 'PS256', 'RS256'] as const;

/**
 * RFC 9449 at the token endpoint: a request with a `DPoP` proof gets a token
 * bound to the proof's key (`cnf.jkt`, token_type `DPoP`); a client
 * registered with `dpop_bound_access_tokens` must send one. Server nonces
 * (RFC 9449 §8) come from a key derived from the server secret, so every
 * instance of a deployment issues and accepts the same nonces; a proof
 * with a stale `iat` is answered `use_dpop_nonce` with a fresh nonce instead
 * of a flat refusal. Proof `jti`s are remembered through the adapter's
 * ReplayDetection model, so a replay fails on any instance.
 */
export function dpopFeature(config: Config): NonNullable<NonNullable<Configuration['features']>['dPoP']> {
  return {
    enabled: true,
    nonceSecret: deriveKey(config.secrets[0]!, 'dpop-nonce/v1'),
    requireNonce: () => false,
    allowReplay: false,
  };
}
