import type Koa from 'koa';
import type { Middleware } from 'koa';
import type { Config } from '../config.js';
import { clientIp, isPeerTrusted } from './client-ip.js';

/** The forwarded headers Koa reads with `app.proxy` (protocol, host) that only a trusted proxy may set. */
const FORWARDED_HEADERS = ['x-forwarded-proto', 'x-forwarded-host'] as const;

/**
 * Makes the host app read proxies the way the rate limits do
 * (TOLLGATE_TRUST_PROXY, see http/client-ip.ts):
 *
 * - `app.proxy` is on when any proxy is trusted, and the returned middleware
 *   removes X-Forwarded-Proto and X-Forwarded-Host unless the request came
 *   from a trusted proxy, so a client cannot claim https (or another host)
 *   by sending them itself;
 * - `ctx.ip` is the address the limits and the audit use, not Koa's
 *   leftmost X-Forwarded-For entry, which any client can write;
 * - with an https issuer every request counts as https: the issuer is the
 *   only public URL, so TLS ends in front of Tollgate whatever a proxy
 *   forwards, and every cookie Koa and oidc-provider set is `Secure`
 *   (both decide `secure` from `ctx.secure`).
 *
 * Mount the middleware first.
 */
export function trustForwardedHeaders(app: Koa, config: Pick<Config, 'issuer' | 'rateLimits'>): Middleware {
  const { trustProxy } = config.rateLimits;
  app.proxy = trustProxy.kind !== 'none';
  if (trustProxy.kind === 'hops') app.maxIpsCount = trustProxy.hops;
  Object.defineProperty(app.request, 'ip', {
    configurable: true,
    get(this: Koa.Request) {
      return clientIp(this.ctx, trustProxy);
    },
  });
  if (config.issuer.startsWith('https://')) {
    Object.defineProperty(app.request, 'protocol', { configurable: true, get: () => 'https' });
  }
  return (ctx, next) => {
    if (app.proxy && !isPeerTrusted(ctx, trustProxy)) {
      for (const header of FORWARDED_HEADERS) delete ctx.req.headers[header];
    }
    return next();
  };
}
