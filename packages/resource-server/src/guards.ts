import { ResourceServerError } from './errors.js';
import { respondExpress } from './express.js';
import type { ExpressNext, ExpressRequestLike, ExpressResponseLike } from './express.js';
import { respondKoa } from './koa.js';
import type { KoaContextLike, KoaNext } from './koa.js';
import { realmOf } from './principal.js';
import type { Principal } from './principal.js';

/**
 * Throws `ERR_INSUFFICIENT_SCOPE` (403) unless the principal was granted
 * every one of `scopes`. For code that uses `verify()` directly.
 *
 * @example
 * ```ts
 * const principal = await verifier.verify({ authorization });
 * assertScopes(principal, 'write:projects');
 * ```
 *
 * @see RFC 6750 section 3.1 (`insufficient_scope`)
 */
export function assertScopes(principal: Principal, ...scopes: string[]): void {
  const refusal = insufficientScope(principal, checkedScopes(scopes));
  if (refusal !== undefined) throw refusal;
}

/**
 * A middleware that works in both Koa and Express: called as `(ctx, next)`
 * it is a Koa middleware, called as `(req, res, next)` an Express one.
 *
 * @example
 * ```ts
 * const canWrite: ScopeGuard = requireScopes('write:projects');
 * koaRouter.post('/projects', canWrite, handler);
 * expressApp.post('/projects', canWrite, handler);
 * ```
 *
 * @see RFC 6750 section 3.1
 */
export interface ScopeGuard {
  (ctx: KoaContextLike, next: KoaNext): Promise<void>;
  (req: ExpressRequestLike, res: ExpressResponseLike, next: ExpressNext): void;
}

/**
 * Requires every one of `scopes`, after the verifier's middleware has
 * authenticated the request. A request whose principal lacks one gets 403
 * with `WWW-Authenticate: Bearer error="insufficient_scope", scope="…"`
 * naming all the required scopes; a request with no principal (the verifier
 * middleware is not mounted before it) gets 401.
 *
 * One function serves both frameworks: Express always calls a middleware
 * with a response object as its second argument, Koa with the `next`
 * function, and that is how the guard tells them apart.
 *
 * @example
 * ```ts
 * router.post('/projects', requireScopes('write:projects'), createProject);
 * router.delete('/projects/:id', requireScopes('write:projects', 'admin'), deleteProject);
 * ```
 *
 * @see RFC 6750 section 3.1, RFC 6749 section 3.3 (scope syntax)
 */
export function requireScopes(...scopes: string[]): ScopeGuard {
  const required = checkedScopes(scopes);
  return guardOf((principal) => insufficientScope(principal, required));
}

/**
 * Requires the principal to hold every one of `roles` (the `roles` claim
 * Tollgate puts in access tokens). Otherwise 403 `insufficient_scope`: RFC
 * 6750 uses it for "requires higher privileges than the token provides".
 *
 * @example
 * ```ts
 * router.delete('/projects/:id', requireRoles('admin'), deleteProject);
 * ```
 *
 * @see RFC 6750 section 3.1
 */
export function requireRoles(...roles: string[]): ScopeGuard {
  if (roles.length === 0 || roles.some((role) => typeof role !== 'string' || role === '')) {
    throw new TypeError('@tollgate/resource-server: requireRoles needs at least one non-empty role');
  }
  return guardOf((principal) =>
    roles.every((role) => principal.roles.includes(role))
      ? undefined
      : new ResourceServerError('ERR_INSUFFICIENT_ROLE', 'the request requires roles that were not granted', { realm: realmOf(principal) }),
  );
}

/**
 * Requires the principal to belong to the tenant `tenantOf(request)` names,
 * for routes that carry a tenant (e.g. `/tenants/:tenant/projects`). The
 * check compares the tenant slug or id of the token with the one requested;
 * a mismatch is 403, so a token of tenant A never reaches B's data.
 *
 * @example
 * ```ts
 * router.get('/tenants/:tenant/projects', requireTenant((ctx) => ctx.params?.['tenant']), listProjects);
 * app.get('/tenants/:tenant/projects', requireTenant((req) => req.params?.['tenant']), listProjects);
 * ```
 */
export function requireTenant(tenantOf: (request: TenantRequest) => string | undefined): ScopeGuard {
  return guardOf((principal, request) => {
    const wanted = tenantOf(request as TenantRequest);
    return wanted !== undefined && (wanted === principal.tenant || wanted === principal.tenantId)
      ? undefined
      : new ResourceServerError('ERR_WRONG_TENANT', 'the credential belongs to another tenant', { realm: realmOf(principal) });
  });
}

/** What `requireTenant` hands its callback: the Koa context or the Express request. */
export interface TenantRequest {
  readonly path?: string;
  readonly params?: Readonly<Record<string, string>>;
  readonly headers?: Readonly<Record<string, string | readonly string[] | undefined>>;
  readonly [key: string]: unknown;
}

/**
 * One middleware for both frameworks around a check of the authenticated
 * principal: Express always passes a response object second, Koa the `next`
 * function, and that is how the guard tells them apart.
 */
function guardOf(check: (principal: Principal, request: unknown) => ResourceServerError | undefined): ScopeGuard {
  const refusalFor = (principal: unknown, request: unknown): ResourceServerError | undefined =>
    isPrincipal(principal) ? check(principal, request) : new ResourceServerError('ERR_MISSING_TOKEN', 'the request was not authenticated');

  function guard(ctx: KoaContextLike, next: KoaNext): Promise<void>;
  function guard(req: ExpressRequestLike, res: ExpressResponseLike, next: ExpressNext): void;
  function guard(first: KoaContextLike | ExpressRequestLike, second: KoaNext | ExpressResponseLike, third?: ExpressNext): Promise<void> | void {
    if (typeof second === 'function') {
      const ctx = first as KoaContextLike;
      const refusal = refusalFor(ctx.state.principal, ctx);
      if (refusal === undefined) return second().then(() => undefined);
      respondKoa(ctx, refusal);
      return Promise.resolve();
    }
    const req = first as ExpressRequestLike;
    const refusal = refusalFor(req.principal, req);
    if (refusal === undefined) third?.();
    else respondExpress(second, refusal);
    return undefined;
  }
  return guard;
}

function insufficientScope(principal: Principal, required: readonly string[]): ResourceServerError | undefined {
  if (required.every((scope) => principal.scopes.includes(scope))) return undefined;
  return new ResourceServerError('ERR_INSUFFICIENT_SCOPE', 'the request requires scopes that were not granted', {
    realm: realmOf(principal),
    scope: required,
  });
}

function checkedScopes(scopes: readonly string[]): string[] {
  if (scopes.length === 0) throw new TypeError('@tollgate/resource-server: at least one scope is required');
  for (const scope of scopes) {
    // RFC 6749 section 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
    if (typeof scope !== 'string' || !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(scope)) {
      throw new TypeError(`@tollgate/resource-server: ${JSON.stringify(scope)} is not a valid scope`);
    }
  }
  return [...scopes];
}

function isPrincipal(value: unknown): value is Principal {
  return (
    typeof value === 'object' &&
    value !== null &&
    Array.isArray((value as { scopes?: unknown }).scopes) &&
    Array.isArray((value as { roles?: unknown }).roles)
  );
}
