import type { AdapterPayload } from 'oidc-provider';
import type { Client } from '../registry/clients.js';
import { TOKEN_EXCHANGE_GRANT } from './token-exchange/constants.js';

/**
 * Adds a client's stronger credentials to its provider metadata: a
 * private_key_jwt client authenticates with a JWT signed by a key in its
 * `jwks` / `jwks_uri` and has no `client_secret` at all;
 * `dpop_bound_access_tokens` makes the provider refuse a token request
 * without a DPoP proof; a client with a token-exchange policy may use that
 * grant.
 */
export function withProofOfPossession(metadata: Record<string, unknown>, client: Client): AdapterPayload {
  // Added to what the base metadata says (grant types, auth method), never
  // replacing it, so other client kinds keep their own values.
  const grantTypes = Array.isArray(metadata['grant_types']) ? (metadata['grant_types'] as string[]) : [];
  const result: Record<string, unknown> = {
    ...metadata,
    dpop_bound_access_tokens: client.dpopBoundAccessTokens,
    grant_types: client.tokenExchange ? [...grantTypes, TOKEN_EXCHANGE_GRANT] : grantTypes,
  };
  if (client.tokenEndpointAuthMethod === 'private_key_jwt') {
    result['token_endpoint_auth_method'] = 'private_key_jwt';
    delete result['client_secret'];
    delete result['client_secret_expires_at'];
    if (client.jwks) result['jwks'] = client.jwks;
    if (client.jwksUri) result['jwks_uri'] = client.jwksUri;
  }
  return result as AdapterPayload;
}
