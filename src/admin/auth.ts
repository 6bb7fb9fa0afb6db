import type { ParameterizedContext } from 'koa';
import { TollgateError } from '../errors.js';
import type { IntrospectionResponse } from '../provider/jwt-introspection.js';
import { ADMIN_AUDIENCE, ADMIN_SCOPE, TENANT_ADMIN_SCOPE } from './audience.js';

/** Who is calling the admin API, from a verified access token. */
export interface AdminCaller {
  /** The admin client's id: the audit actor and the idempotency scope. */
  readonly clientId: string;
  /** The admin client's own tenant. */
  readonly tenantId: string;
  /** `tollgate:admin`: every tenant and the global objects; otherwise only `tenantId`. */
  readonly global: boolean;
}

export type VerifyAccessToken = (token: string) => Promise<IntrospectionResponse>;

const REALM = 'Bearer realm="tollgate-admin"';

/**
 * RFC 6750 §3: a missing or bad token is 401 with a WWW-Authenticate
 * challenge (naming the error only when a token was sent), a token without
 * the needed scope is 403 insufficient_scope.
 */
function challenge(ctx: ParameterizedContext, error?: 'invalid_token' | 'insufficient_scope', description?: string): void {
  ctx.set('WWW-Authenticate', error ? `${REALM}, error="${error}", error_description="${description}"` : REALM);
}

function unauthenticated(ctx: ParameterizedContext, tokenSent: boolean): TollgateError {
  const description = tokenSent ? 'the access token is invalid, expired or revoked' : 'an admin API access token is required';
  challenge(ctx, tokenSent ? 'invalid_token' : undefined, description);
  return new TollgateError(401, 'invalid_token', description);
}

export function insufficientScope(ctx: ParameterizedContext, scope: string): TollgateError {
  const description = `this operation requires the ${scope} scope`;
  challenge(ctx, 'insufficient_scope', description);
  return new TollgateError(403, 'insufficient_scope', description);
}

const BEARER = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i;

/**
 * The caller behind `Authorization: Bearer <jwt>`: a token Tollgate signed
 * (checked against the keys /jwks publishes), for the admin audience, from a
 * client that is still enabled and whose tokens were not revoked, carrying
 * one of the two admin scopes.
 */
export async function authenticate(ctx: ParameterizedContext, verify: VerifyAccessToken): Promise<AdminCaller> {
  const header = ctx.get('authorization');
  const token = BEARER.exec(header)?.[1];
  if (!token) throw unauthenticated(ctx, header !== '');
  const claims = await verify(token);
  if (!claims.active) throw unauthenticated(ctx, true);
  const audience = Array.isArray(claims['aud']) ? claims['aud'] : [claims['aud']];
  const { client_id: clientId, tenant_id: tenantId } = claims;
  if (!audience.includes(ADMIN_AUDIENCE) || typeof clientId !== 'string' || typeof tenantId !== 'string') {
    throw unauthenticated(ctx, true);
  }
  // A DPoP-bound token (RFC 9449 §7.1) must come with a proof of its key;
  // the admin API takes Bearer tokens only, so a bound one is refused rather
  // than accepted as if stealing it were harmless.
  if (claims['cnf'] !== undefined) throw unauthenticated(ctx, true);
  const scopes = String(claims['scope'] ?? '').split(' ');
  const global = scopes.includes(ADMIN_SCOPE);
  if (!global && !scopes.includes(TENANT_ADMIN_SCOPE)) throw insufficientScope(ctx, `${ADMIN_SCOPE} or ${TENANT_ADMIN_SCOPE}`);
  return { clientId, tenantId, global };
}

/** Global objects (tenants, resource servers, signing keys) change only with `tollgate:admin`. */
export function requireGlobal(ctx: ParameterizedContext, caller: AdminCaller): void {
  if (!caller.global) throw insufficientScope(ctx, ADMIN_SCOPE);
}
