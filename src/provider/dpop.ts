import { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { Config } from '../config.js';
import { deriveKey } from '../../keys/derive-key.js';
import type { GrantHandler } from './oidc-provider-internals.js';

/** DPoP proof algorithms the token endpoint accepts (advertised as dpop_signing_alg_values_supported). */
export const DPOP_SIGNING_ALGORITHMS = ['ES256', 'EdDSA', 'PS256', 'RS256'] as const;

/**
 * RFC 9449 at the token endpoint: a request with a `DPoP` proof gets a token
 * bound to the proof's key (`cnf.jkt`, token_type `DPoP`). Server nonces
 * (RFC 9449 §8) come from a key derived from the server secret, so every
 * instance of a deployment issues and accepts the same nonces; a proof
 * with a stale `iat` is answered `use_dpop_nonce` with a fresh nonce instead
 * of a flat refusal. Proof `jti`s are remembered through the adapter's
 * ReplayDetection model, so a replay fails on any instance. Discovery
 * advertises `dpop_signing_alg_values_supported`.
 */
export function dpopConfiguration(config: Config): Configuration {
  return {
    features: {
      dPoP: {
        enabled: true,
        nonceSecret: deriveKey(config.secrets[0]!, 'dpop-nonce/v1'),
        requireNonce: () => false,
        allowReplay: false,
      },
    },
    enabledJWA: { dPoPSigningAlgValues: [...DPOP_SIGNING_ALGORITHMS] },
  };
}

/**
 * A client registered with `dpop_bound_access_tokens` gets no token without
 * a proof, in every grant: `400 invalid_dpop_proof` (RFC 9449 §5, §7.1),
 * saying what is missing. Runs before the grant's own checks (see
 * `aroundGrantHandlers`); oidc-provider's grants would refuse later with a
 * bare `invalid_grant`. A proof that is sent is checked by the grant itself.
 */
export async function requireDpopProofOfBoundClients(ctx: KoaContextWithOIDC, handle: GrantHandler): Promise<void> {
  if (ctx.oidc.client?.dpopBoundAccessTokens && !ctx.get('DPoP')) {
    throw new errors.InvalidDpopProof('a DPoP proof is required: this client is registered with dpop_bound_access_tokens, send a DPoP header');
  }
  return handle(ctx);
}
