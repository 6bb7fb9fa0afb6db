import { randomUUID } from 'node:crypto';
import type Router from '@koa/router';
import Koa, { type Middleware } from 'koa';
import type { Config } from './config.js';
import { dependencyUnavailable, errorBody, isDependencyUnavailable, TollgateError } from './errors.js';
import { trustForwardedHeaders } from './http/forwarded.js';
import { createOwnRouter, ownRoutesMiddleware, type OwnRoutes } from './http/own-routes.js';
import type { Logger } from './logger.js';
import { MAX_BODY_BYTES } from './http/bounded-body.js';
import { METRICS_PATH } from './metrics/endpoint.js';


export interface AppDependencies {
  readonly config: Config;
  readonly logger: Logger;
  /** The oidc-provider mount (ProviderHost.middleware()). */
  readonly provider: Middleware;
  /** Login, consent and their stylesheet (interactions/index.ts); omitted: no sign-in pages. */
  readonly interactions?: OwnRoutes;
  /** Per-address and failed-authentication limits (rate-limit/index.ts); omitted: none. */
  readonly rateLimits?: Middleware;
  /** Resolves when the database answers; rejects otherwise. */
  readonly checkDatabase: () => Promise<void>;
  /** Resolves when Redis answers; omitted when there is no Redis (REDIS_URL unset). */
  readonly checkRedis?: () => Promise<void>;
  /** Resolves when the PKCS#11 token can sign; omitted with the database key backend. */
  readonly checkSigningModule?: () => Promise<void>;
  /** Times requests and counts 429s (metrics/index.ts); mounted outermost. Omitted: metrics off. */
  readonly requestMetrics?: Middleware;
  /** The admin REST API under /admin/v1 (admin/index.ts); omitted: none. */
  readonly admin?: OwnRoutes;
  /** Answers GET /metrics (metrics/index.ts). Omitted: no /metrics. */
  readonly metricsEndpoint?: Middleware;
  /** True once shutdown has begun (http/drain.ts): /readyz answers 503 so a load balancer stops sending. */
  readonly draining?: () => boolean;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

function requestContext(logger: Logger): Middleware {
  return async (ctx, next) => {
    const started = performance.now();
    const incoming = ctx.get('x-request-id');
    const requestId = REQUEST_ID.test(incoming) ? incoming : randomUUID();
    ctx.set('X-Request-Id', requestId);
    // A failure of the server is logged once per request; an unavailable
    // dependency is not: its own outage log reports it (see outage-log.ts).
    const logFailure = (error: unknown) => logger.error('request failed', { requestId, error: (error as Error)?.name, detail: (error as Error)?.message });
    try {
      await next();
      const cause = ctx.state.serverError;
      if (cause !== undefined) {
        if (isDependencyUnavailable(cause)) throw dependencyUnavailable(cause);
        logFailure(cause);
      }
    } catch (thrown) {
      if (ctx.req.socket.destroyed) {
        // The client hung up mid-request (ECONNRESET "aborted"): nothing is
        // broken and nobody is left to answer. 499, as nginx logs it.
        logger.info('client disconnected', { requestId, detail: (thrown as Error)?.message });
        ctx.status = 499;
        return;
      }
      const error = !(thrown instanceof TollgateError) && isDependencyUnavailable(thrown) ? dependencyUnavailable(thrown) : thrown;
      const { status, body } = errorBody(error);
      if (status >= 500 && status !== 503) logFailure(thrown);
      ctx.status = status;
      ctx.body = body;
      if (status === 503) ctx.set('Retry-After', '5');
    } finally {
      // Path only: query strings can carry codes or tokens.
      logger.info('request', {
        requestId,
        method: ctx.method,
        path: ctx.path,
        status: ctx.status,
        ms: Math.round((performance.now() - started) * 10) / 10,
        client_id: ctx.oidc?.client?.clientId,
      });
    }
  };
}

// The pass-through middlewares below return `next()` instead of being async
// functions that await it: every promise on the token path also pays
// oidc-provider's AsyncLocalStorage hooks, and these add nothing after next.

function securityHeaders(config: Config): Middleware {
  const https = config.issuer.startsWith('https://');
  return (ctx, next) => {
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Referrer-Policy', 'no-referrer');
    if (https) ctx.set('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    return next();
  };
}

const bodyLimit: Middleware = (ctx, next) => {
  const length = Number(ctx.get('content-length') || 0);
  if (length > MAX_BODY_BYTES) throw new TollgateError(413, 'request_too_large', `request body must not exceed ${MAX_BODY_BYTES} bytes`);
  return next();
};

type ReadinessChecks = Readonly<Record<string, () => Promise<void>>>;

/** Load balancers' probes often give up after 1 s: /readyz answers before that, whatever a dependency does. */
export const READINESS_TIMEOUT_MS = 800;

function withinReadinessBound(check: () => Promise<void>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${READINESS_TIMEOUT_MS} ms`)), READINESS_TIMEOUT_MS);
    check()
      .then(resolve, reject)
      .finally(() => clearTimeout(timer));
  });
}

/**
 * /readyz asks every dependency a request needs, in parallel (a probe costs
 * the slowest check, not their sum), and names the ones that failed. A down
 * dependency answers 503 temporarily_unavailable with Retry-After, so a load
 * balancer stops sending traffic until it is back.
 */
async function checkReadiness(checks: ReadinessChecks): Promise<string[]> {
  const names = Object.keys(checks);
  const results = await Promise.allSettled(names.map((name) => withinReadinessBound(checks[name]!)));
  const down = names.filter((_, index) => results[index]!.status === 'rejected');
  if (down.length) {
    const cause = results.find((result) => result.status === 'rejected')?.reason;
    throw new TollgateError(503, 'temporarily_unavailable', `${down.join(' and ')} unavailable`, { cause });
  }
  return names;
}

/** /healthz: the process answers; /readyz: so do its dependencies, and it is not shutting down. */
function registerHealth(router: Router, checks: ReadinessChecks, draining: () => boolean): void {
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    if (draining()) throw new TollgateError(503, 'temporarily_unavailable', 'shutting down');
    ctx.body = { status: 'ready', checked: await checkReadiness(checks) };
  });
}

/**
 * Every endpoint Tollgate itself owns, on one router: health, metrics, the
 * admin API, the sign-in pages. What no route answers goes on to
 * oidc-provider, except a wrong method on a known path (405) and an unknown
 * path under a prefix a part owns (its 404).
 */
function useOwnRoutes(app: Koa, deps: AppDependencies): void {
  const router = createOwnRouter();
  registerHealth(
    router,
    {
      database: deps.checkDatabase,
      ...(deps.checkRedis ? { redis: deps.checkRedis } : {}),
      ...(deps.checkSigningModule ? { 'signing module': deps.checkSigningModule } : {}),
    },
    deps.draining ?? (() => false),
  );
  if (deps.metricsEndpoint) router.get(METRICS_PATH, deps.metricsEndpoint);
  app.use(ownRoutesMiddleware(router, [deps.admin, deps.interactions].filter((part) => part !== undefined)));
}

/** RFC 8414 metadata is the same document as OpenID discovery. */
const authorizationServerMetadata: Middleware = (ctx, next) => {
  if (ctx.path === '/.well-known/oauth-authorization-server') ctx.path = '/.well-known/openid-configuration';
  return next();
};

/** Reached only when no endpoint matched: a JSON 404 like every other error. */
const notFound: Middleware = async () => {
  throw new TollgateError(404, 'not_found', 'no such endpoint');
};

export function createApp(deps: AppDependencies): Koa {
  const app = new Koa();
  app.silent = true;
  app.use(trustForwardedHeaders(app, deps.config));
  // Outside the error handler, so it sees the status every request ends with.
  if (deps.requestMetrics) app.use(deps.requestMetrics);
  app.use(requestContext(deps.logger));
  app.use(securityHeaders(deps.config));
  app.use(bodyLimit);
  useOwnRoutes(app, deps);
  app.use(authorizationServerMetadata);
  if (deps.rateLimits) app.use(deps.rateLimits);
  app.use(deps.provider);
  app.use(notFound);
  return app;
}
