import { createHash, timingSafeEqual } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Registry } from 'prom-client';
import { TollgateError } from '../errors.js';

export const METRICS_PATH = '/metrics';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Compares digests, not the strings: equal-length inputs make the comparison
 * constant-time whatever was sent, so neither the token's bytes nor its
 * length can be learnt from response times.
 */
function bearerMatches(authorization: string, expected: Buffer): boolean {
  const match = /^Bearer ([^\s]+)$/i.exec(authorization);
  return timingSafeEqual(digest(match?.[1] ?? ''), expected) && match !== null;
}

/**
 * `GET /metrics` (the host routes METRICS_PATH here) in the Prometheus text format: this server's registry, then
 * the process's. With a token, scrapes must send `Authorization: Bearer
 * <token>` (Prometheus `authorization.credentials`); without one, keep the
 * path off the public listener (see README).
 */
export function metricsEndpoint(registries: readonly Registry[], token: string | undefined): Middleware {
  const expected = token === undefined ? undefined : digest(token);
  return async (ctx) => {
    if (expected && !bearerMatches(ctx.get('authorization'), expected)) {
      ctx.set('WWW-Authenticate', 'Bearer realm="metrics"');
      throw new TollgateError(401, 'invalid_token', 'metrics need Authorization: Bearer <TOLLGATE_METRICS_TOKEN>');
    }
    const texts = await Promise.all(registries.map((registry) => registry.metrics()));
    ctx.body = texts.join('');
    ctx.set('Content-Type', registries[0]!.contentType);
    ctx.set('Cache-Control', 'no-store');
  };
}
