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
  const result: Record<string, unknown> = {
    ...metadata,
    token_endpoint_auth_method: client.tokenEndpointAuthMethod,
    dpop_bound_access_tokens: client.dpopBoundAccessTokens,
    grant_types: client.tokenExchange ? ['client_credentials', TOKEN_EXCHANGE_GRANT] : ['client_credentials'],
  };
  if (client.tokenEndpointAuthMethod === 'private_key_jwt') {
    delete result['client_secret'];
    delete result['client_secret_expires_at'];
    if (client.jwks) result['jwks'] = client.jwks;
    if (client.jwksUri) result['jwks_uri'] = client.jwksUri;
  }
  return result as AdapterPayload;
}
