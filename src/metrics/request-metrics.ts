import type { Middleware, ParameterizedContext } from 'koa';
import { Counter, Histogram, type Registry } from 'prom-client';
import { methodLabel, routeLabel } from './route-label.js';

/** Token requests take milliseconds, plus argon2 (~50 ms) on a cache miss; outages answer within 5 s. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The label of a request to one of the provider's endpoints (ProviderHost.metricsLabelOf), or undefined. */
export type EndpointLabelOf = (ctx: Pick<ParameterizedContext, 'method' | 'path'>) => string | undefined;

/**
 * Times every request and counts 429s by the limit that answered them. It
 * must sit outermost (before the error handler), so it sees the final
 * status of every request, including errors and rate-limit refusals.
 */
export function createRequestMetrics(registry: Registry, endpointLabelOf: EndpointLabelOf): Middleware {
  const duration = new Histogram({
    name: 'tollgate_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method, known route (or other) and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const rateLimited = new Counter({
    name: 'tollgate_rate_limited_total',
    help: 'Requests answered 429 by a rate limit, by policy',
    labelNames: ['policy'] as const,
    registers: [registry],
  });

  return async (ctx, next) => {
    const started = performance.now();
    // Read before the app runs: a path it rewrites (RFC 8414 metadata) keeps the label the caller asked for.
    const route = endpointLabelOf(ctx) ?? routeLabel(ctx.path);
    try {
      await next();
    } finally {
      duration.observe({ method: methodLabel(ctx.method), route, status: String(ctx.status) }, (performance.now() - started) / 1000);
      const policy = ctx.state.rateLimitPolicy;
      if (ctx.status === 429 && policy !== undefined) rateLimited.inc({ policy });
    }
  };
}
