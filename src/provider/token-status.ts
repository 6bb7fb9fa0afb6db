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
