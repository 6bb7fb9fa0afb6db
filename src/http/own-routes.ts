import Router, { type RouterMiddleware } from '@koa/router';
import { notFound, TollgateError } from '../errors.js';

/** One part of what Tollgate itself serves (the admin API, the sign-in pages), added to the host's router. */
export interface OwnRoutes {
  register(router: Router): void;
  /**
   * A path prefix that is this part's alone: a path under it that no route
   * serves gets this JSON 404 instead of going on to oidc-provider.
   */
  readonly owns?: { readonly prefix: string; readonly notFound: string };
}

/**
 * The one router of the endpoints Tollgate owns. Case-sensitive, and a
 * trailing slash is not optional: `/Healthz` or `/healthz/` is no route of
 * ours and goes on to oidc-provider (and its 404), as oidc-provider's own
 * routes match exactly.
 */
export function createOwnRouter(): Router {
  return new Router({ sensitive: true, strict: true });
}

/**
 * The router, with `parts` registered on it, as one middleware. What no
 * route answers: a path a route serves, asked with another method, is
 * refused with 405 and `Allow` (RFC 9110 section 15.5.6); a path under an
 * owned prefix that nothing serves is that part's 404; anything else
 * (every oidc-provider endpoint, in any spelling) goes on unchanged.
 *
 * A request whose first path segment starts none of the routes skips the
 * router: matching walks every route's pattern, a cost the token endpoint
 * would pay on every request for nothing.
 */
export function ownRoutesMiddleware(router: Router, parts: readonly OwnRoutes[]): RouterMiddleware {
  for (const part of parts) part.register(router);
  const firstSegments = new Set(router.stack.map((layer) => firstSegment(String(layer.path))));
  const prefixes = parts.flatMap((part) => (part.owns ? [part.owns] : []));
  const dispatch = router.routes();
  const unmatched: RouterMiddleware = (ctx, next) => {
    if (!ctx.routeMatched) {
      const allowed = new Set((ctx.matched ?? []).flatMap((layer) => layer.methods));
      if (allowed.size) {
        ctx.set('Allow', [...allowed].join(', '));
        throw new TollgateError(405, 'invalid_request', `${ctx.method} is not allowed here`);
      }
      const owner = prefixes.find(({ prefix }) => ctx.path === prefix || ctx.path.startsWith(`${prefix}/`));
      if (owner) throw notFound(owner.notFound);
    }
    return next();
  };
  return (ctx, next) => (firstSegments.has(firstSegment(ctx.path)) ? dispatch(ctx, () => unmatched(ctx, next)) : next());
}

/** `/admin/v1/clients` → `admin`. */
const firstSegment = (path: string) => path.split('/', 2)[1] ?? '';
