import type { HeadersLike } from './credentials.js';
import type { RequestLike } from './verifier.js';
import { ResourceServerError } from './errors.js';
import type { Principal } from './principal.js';

/**
 * The parts of a Koa context this package uses; a real `Koa.Context` fits
 * it, and Koa is not a dependency.
 *
 * @example
 * ```ts
 * const ctx: KoaContextLike = { headers: {}, state: {}, status: 404, body: undefined, set() {} };
 * ```
 *
 * @see https://koajs.com/#context
 */
export interface KoaContextLike {
  readonly headers: HeadersLike;
  /** For DPoP proofs (`htm`). */
  readonly method?: string;
  /** The full request URL, for DPoP proofs (`htu`); with `app.proxy = true` behind a TLS-terminating proxy. */
  readonly href?: string;
  state: Record<string, unknown>;
  status: number;
  body: unknown;
  set(field: string, value: string): void;
}

/**
 * Koa's `next`.
 *
 * @example
 * ```ts
 * const next: KoaNext = async () => {};
 * ```
 */
export type KoaNext = () => Promise<unknown>;

/**
 * A Koa middleware.
 *
 * @example
 * ```ts
 * const authenticate: KoaMiddleware = verifier.koa();
 * app.use(authenticate);
 * ```
 *
 * @see RFC 6750 section 3
 */
export type KoaMiddleware = (ctx: KoaContextLike, next: KoaNext) => Promise<void>;

/**
 * Authenticates each request; on success stores the principal in
 * `ctx.state.principal` and calls `next`, otherwise answers with the error's
 * status, challenge and JSON body. Errors thrown further down the chain are
 * not caught here.
 */
export function createKoaMiddleware(authenticate: (request: RequestLike) => Promise<Principal>): KoaMiddleware {
  return async (ctx, next) => {
    let principal: Principal;
    try {
      principal = await authenticate({ headers: ctx.headers, method: ctx.method, url: ctx.href });
    } catch (err) {
      if (!(err instanceof ResourceServerError)) throw err;
      respondKoa(ctx, err);
      return;
    }
    ctx.state.principal = principal;
    await next();
  };
}

/** Writes a refusal to a Koa context. */
export function respondKoa(ctx: KoaContextLike, err: ResourceServerError): void {
  ctx.status = err.status;
  const challenge = err.wwwAuthenticate;
  if (challenge !== undefined) ctx.set('WWW-Authenticate', challenge);
  ctx.set('Cache-Control', 'no-store');
  ctx.body = err.toJSON();
}
