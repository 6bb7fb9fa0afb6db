import { decodeJwt } from 'jose';

/**
 * The `jti` of the JWT access token in a token response, so its audit event
 * can be matched to the token a client received. Undefined for an opaque
 * token: its id is the token itself and must never be recorded.
 */
export function issuedJwtId(body: unknown): string | undefined {
  const token = (body as { access_token?: unknown } | null | undefined)?.access_token;
  if (typeof token !== 'string' || token.split('.').length !== 3) return undefined;
  try {
    const { jti } = decodeJwt(token);
    return typeof jti === 'string' ? jti : undefined;
  } catch {
    return undefined;
  }
}
