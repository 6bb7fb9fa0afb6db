import type { Configuration } from 'oidc-provider';
import type { ClientRepository } from '../registry/clients.js';

/**
 * Whether a token Tollgate issued is still good as far as its client is
 * concerned: the client exists, is enabled, and has not had its tokens
 * revoked (token_version bumped) since the token was issued. Used by
 * introspection for both opaque and JWT access tokens.
 */
export async function isClientTokenCurrent(
  clients: ClientRepository,
  clientId: unknown,
  tokenVersion: unknown,
): Promise<boolean> {
  if (typeof clientId !== 'string') return false;
  const client = await clients.find(clientId);
  return Boolean(client?.enabled) && client?.tokenVersion === tokenVersion;
}

type IntrospectionFeature = NonNullable<NonNullable<Configuration['features']>['introspection']>;

/**
 * oidc-provider's `features.introspection.allowedPolicy`, after it has
 * found the token (and checked that its grant still exists):
 * - an access token is active only while its client is enabled and has not
 *   revoked its tokens since (the JWT path applies the same rule);
 * - a refresh token (authorization-code flow) carries no client token
 *   version (only access tokens get extra claims) and concerns only its
 *   own client: that client may introspect it, no other.
 */
export function introspectionAllowedPolicy(clients: ClientRepository): NonNullable<IntrospectionFeature['allowedPolicy']> {
  return async (_ctx, client, token) =>
    token.kind === 'RefreshToken' ? token.clientId === client.clientId : isClientTokenCurrent(clients, token.clientId, token.extra?.['token_version']);
}
