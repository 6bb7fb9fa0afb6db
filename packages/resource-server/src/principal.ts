/**
 * The claims of a Tollgate JWT access token, after verification.
 *
 * @example
 * ```ts
 * if (principal.type === 'access_token') console.log(principal.claims.jti);
 * ```
 *
 * @see RFC 9068 section 2.2 (data structure), RFC 7519 section 4.1
 */
export interface AccessTokenClaims {
  readonly iss: string;
  readonly sub: string;
  readonly aud: string | readonly string[];
  readonly exp: number;
  readonly iat: number;
  readonly jti: string;
  readonly client_id: string;
  readonly nbf?: number;
  readonly scope?: string;
  readonly tenant_id?: string;
  readonly tenant?: string;
  readonly roles?: readonly string[];
  readonly token_version?: number;
  readonly [claim: string]: unknown;
}

/**
 * What Tollgate's introspection endpoint says about an active API key.
 *
 * @example
 * ```ts
 * if (principal.type === 'api_key') console.log(principal.claims.sub); // the key id
 * ```
 *
 * @see RFC 7662 section 2.2 (introspection response)
 */
export interface ApiKeyClaims {
  readonly active: true;
  readonly token_type: 'api_key';
  /** The API key's id (never the key itself). */
  readonly sub: string;
  /** The resource servers the key is for; this verifier's audience is among them. */
  readonly aud: string | readonly string[];
  readonly scope?: string;
  readonly exp?: number;
  readonly tenant_id?: string;
  readonly tenant?: string;
  readonly client_id?: string;
  readonly [member: string]: unknown;
}

/** The fields every principal has. */
interface PrincipalBase {
  /** Who the request acts as: the token's `sub`, or the API key's id. */
  readonly subject: string;
  readonly tenantId: string | undefined;
  /** The tenant's slug. */
  readonly tenant: string | undefined;
  /** The granted scopes (the space-separated `scope`, split). */
  readonly scopes: readonly string[];
  readonly roles: readonly string[];
}

/**
 * A caller authenticated with a JWT access token.
 *
 * @example
 * ```ts
 * const p = await verifier.verifyAccessToken(token);
 * p.clientId; // the `client_id` claim
 * ```
 *
 * @see RFC 9068 section 2.2
 */
export interface AccessTokenPrincipal extends PrincipalBase {
  readonly type: 'access_token';
  readonly clientId: string;
  readonly claims: AccessTokenClaims;
}

/**
 * A caller authenticated with an API key.
 *
 * @example
 * ```ts
 * const p = await verifier.verifyApiKey(key);
 * p.subject; // the key id
 * ```
 *
 * @see RFC 7662 section 2.2
 */
export interface ApiKeyPrincipal extends PrincipalBase {
  readonly type: 'api_key';
  readonly clientId: string | undefined;
  readonly claims: ApiKeyClaims;
}

/**
 * Who made a request, as `verify()` returns it and the middleware stores it
 * (`ctx.state.principal` for Koa, `req.principal` for Express). Frozen, so
 * that a handler cannot change what another request sees.
 *
 * @example
 * ```ts
 * const { subject, tenantId, scopes } = ctx.state.principal as Principal;
 * ```
 *
 * @see RFC 9068 section 2.2, RFC 7662 section 2.2
 */
export type Principal = AccessTokenPrincipal | ApiKeyPrincipal;

/**
 * The realm of the verifier that made each principal, so that `requireScopes`
 * can name it in its challenge without being handed the verifier.
 */
const realms = new WeakMap<Principal, string>();

/** Freezes a principal and remembers the realm it was verified in. */
export function sealPrincipal<P extends Principal>(principal: P, realm: string): P {
  deepFreeze(principal);
  realms.set(principal, realm);
  return principal;
}

/** The realm a principal was verified in, if a verifier made it. */
export function realmOf(principal: Principal): string | undefined {
  return realms.get(principal);
}

/** Splits an RFC 6749 section 3.3 scope string into its tokens. */
export function parseScope(scope: string | undefined): string[] {
  return scope === undefined ? [] : scope.split(' ').filter((token) => token !== '');
}

function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const member of Object.values(value)) deepFreeze(member);
}
