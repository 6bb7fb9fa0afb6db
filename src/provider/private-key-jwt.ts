import { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { Config } from '../config.js';
import { allowedFromRequest } from './ip-allowlist.js';
import type { TollgateClientMetadata } from './registry-client-adapter.js';

/** A client's jwks_uri must answer within this, or the assertion fails (invalid_client). */
const JWKS_FETCH_TIMEOUT_MS = 2_000;
/** A JWKS larger than this is refused: a key set of ten RSA-4096 keys is well under it. */
const JWKS_MAX_BYTES = 64 * 1024;

/**
 * RFC 7523 client authentication. oidc-provider verifies the assertion
 * (signature against the client's `jwks` / `jwks_uri`, `iss` = `sub` =
 * client id, `aud`, `exp`, `jti` replay through the ReplayDetection model);
 * this adds the client's IP allow-list, which the secret methods check in
 * `compareClientSecret` and which an assertion never reaches.
 */
function assertPrivateKeyJwtClient(config: Config): NonNullable<Configuration['assertJwtClientAuthClaimsAndHeader']> {
  return (ctx: KoaContextWithOIDC, _claims, _header, client) => {
    const { ip_allowlist: allowlist } = client as unknown as Partial<TollgateClientMetadata>;
    if (!allowedFromRequest(allowlist, ctx, config.rateLimits.trustProxy)) {
      throw new errors.InvalidClientAuth('client is not allowed from this address');
    }
  };
}

/**
 * How the provider fetches a client's jwks_uri: its SSRF guard (no private
 * or loopback addresses) stays unless TOLLGATE_JWKS_URI_PRIVATE_NETWORK=allow,
 * a short timeout, no redirects. The body size cap is `fetchResponseBodyLimits`;
 * caching is the provider's (at least 60 s, longer with Cache-Control max-age).
 */
function jwksFetch(config: Config): NonNullable<Configuration['fetch']> {
  return (input, init = {}) => {
    const options: RequestInit & { dispatcher?: unknown } = { ...init, signal: AbortSignal.timeout(JWKS_FETCH_TIMEOUT_MS), redirect: 'error' };
    if (config.jwksUriPrivateNetwork) delete options.dispatcher;
    return fetch(input, options);
  };
}

/** The provider settings for private_key_jwt, merged into the configuration by proof-of-possession.ts. */
export function privateKeyJwtConfiguration(config: Config): Pick<Configuration, 'assertJwtClientAuthClaimsAndHeader' | 'fetch' | 'fetchResponseBodyLimits'> {
  return {
    assertJwtClientAuthClaimsAndHeader: assertPrivateKeyJwtClient(config),
    fetch: jwksFetch(config),
    fetchResponseBodyLimits: { jwks_uri: JWKS_MAX_BYTES, sector_identifier_uri: JWKS_MAX_BYTES },
  };
}
