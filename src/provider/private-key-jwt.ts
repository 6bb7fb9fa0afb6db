import { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { Config } from '../config.js';
import { allowedFromRequest } from './ip-allowlist.js';
import { JWKS_MAX_BYTES, jwksUriFetch } from './jwks-uri-fetch.js';

/**
 * RFC 7523 client authentication. oidc-provider verifies the assertion
 * (signature against the client's `jwks` / `jwks_uri`, `iss` = `sub` =
 * client id, `aud`, `exp`, `jti` replay through the ReplayDetection model);
 * this adds the client's IP allow-list, which the secret methods check in
 * `compareClientSecret` and which an assertion never reaches.
 */
function assertPrivateKeyJwtClient(config: Config): NonNullable<Configuration['assertJwtClientAuthClaimsAndHeader']> {
  return (ctx: KoaContextWithOIDC, _claims, _header, client) => {
    if (!allowedFromRequest(client.ip_allowlist, ctx, config.rateLimits.trustProxy)) {
      throw new errors.InvalidClientAuth('client is not allowed from this address');
    }
  };
}

/**
 * The provider settings for private_key_jwt: the method itself (advertised
 * in discovery), the allow-list check, and how a client's `jwks_uri` is
 * fetched (see jwks-uri-fetch.ts).
 */
export function privateKeyJwtConfiguration(config: Config): Configuration {
  return {
    clientAuthMethods: ['private_key_jwt'],
    assertJwtClientAuthClaimsAndHeader: assertPrivateKeyJwtClient(config),
    fetch: jwksUriFetch({ privateNetwork: config.jwksUriPrivateNetwork }),
    fetchResponseBodyLimits: { jwks_uri: JWKS_MAX_BYTES, sector_identifier_uri: JWKS_MAX_BYTES },
  };
}
