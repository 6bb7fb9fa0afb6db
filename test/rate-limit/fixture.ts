import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import Koa, { type Middleware } from 'koa';
import type { Redis } from 'ioredis';
import assert from 'node:assert/strict';
import { parseTrustProxy } from '../../src/http/client-ip.js';
import { createFailureCounter, type FailureCounter } from '../../src/rate-limit/failure-counter.js';
import type { LimitSpec } from '../../src/rate-limit/limit-spec.js';
import { createRateLimitRedis } from '../../src/rate-limit/redis.js';
import { TollgateError } from '../../src/errors.js';
import { noteSecretVerified } from '../../src/rate-limit/proven-credentials.js';
import { createTokenEndpointGate, type GateKind } from '../../src/rate-limit/token-endpoint-gate.js';
import { createWindowCounters } from '../../src/rate-limit/window-counters.js';
import { gateKindOfRoute, routeOfProvider } from '../../src/provider/endpoints.js';
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';
import { closedPort, postForm } from '../helpers/server.js';

export const REDIS_URL = process.env['TEST_REDIS_URL'];
export const REDIS_SKIP = REDIS_URL ? false : 'Redis suite skipped: TEST_REDIS_URL is not set';

/** The secret the stand-in provider accepts for every client. */
export const RIGHT_SECRET = 'right-secret';

/** A tiny host on 127.0.0.1: the middleware under test in front of a stand-in provider. */
export interface TestApp {
  readonly url: string;
  /** How many requests reached the stand-in provider. */
  readonly providerCalls: () => number;
  close(): Promise<void>;
}

/**
 * The stand-in answers the token endpoints like oidc-provider does for
 * client authentication: 401 `invalid_client` unless the Basic secret (or
 * the client_secret_post one, given in the query here) is RIGHT_SECRET,
 * which it reports to the gate as Tollgate's `compareClientSecret` does.
 * `verifyMs` stands for the time argon2 takes, so parallel requests overlap.
 */
/** A secret the stand-in provider answers by throwing, as the host does during an outage. */
export const OUTAGE_SECRET = 'outage-now';

export async function startApp(middleware: Middleware, options: { verifyMs?: number } = {}): Promise<TestApp> {
  let calls = 0;
  const app = new Koa();
  app.silent = true;
  app.use(middleware);
  app.use(async (ctx) => {
    calls += 1;
    const basic = Buffer.from(ctx.get('authorization').replace(/^Basic /, ''), 'base64').toString();
    const secret = decodeURIComponent(basic.slice(basic.indexOf(':') + 1)) || String(ctx.query['client_secret'] ?? '');
    if (options.verifyMs) await new Promise((resolve) => setTimeout(resolve, options.verifyMs));
    // What the host throws past the provider when the audit log or the database is unavailable.
    if (secret === OUTAGE_SECRET) throw new TollgateError(503, 'temporarily_unavailable', 'the audit log is unavailable, retry later');
    if (secret === RIGHT_SECRET) {
      if (basic) noteSecretVerified(ctx);
      ctx.body = { access_token: 'ok' };
    } else {
      ctx.status = 401;
      ctx.body = { error: 'invalid_client', error_description: 'client authentication failed' };
    }
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    providerCalls: () => calls,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * A form POST (or, with `method`, another request) as a client behind the
 * test's trusted proxy: `ip` goes in X-Forwarded-For, `clientId` in a Basic
 * header with `secret` (default: a wrong one).
 */
export async function post(
  app: TestApp,
  path: string,
  options: { ip?: string; clientId?: string; secret?: string; method?: string } = {},
): Promise<Awaited<ReturnType<typeof postForm>>> {
  const headers: Record<string, string> = options.ip ? { 'x-forwarded-for': options.ip } : {};
  if (options.method && options.method !== 'POST') {
    const response = await fetch(`${app.url}${path}`, { method: options.method, headers });
    return { status: response.status, headers: response.headers, body: { raw: await response.text() } };
  }
  const auth = options.clientId ? { clientId: options.clientId, clientSecret: options.secret ?? 'wrong' } : undefined;
  return postForm(`${app.url}${path}`, { grant_type: 'client_credentials' }, auth, headers);
}

/** A Redis client for one suite, with a key prefix no other run uses, that removes its keys when closed. */
export async function connectTestRedis(onError: (error: unknown) => void = () => undefined): Promise<{ redis: Redis; prefix: string; close(): Promise<void> }> {
  // REDIS_URL is a single node here, never a cluster.
  const redis = createRateLimitRedis(REDIS_URL!, onError) as Redis;
  // Commands fail fast until the connection is ready (no offline queue).
  if (redis.status !== 'ready') await once(redis, 'ready');
  const prefix = `tollgate-test-${randomUUID()}`;
  return {
    redis,
    prefix,
    async close() {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
        cursor = next;
        for (const key of keys) await redis.del(key);
      } while (cursor !== '0');
      redis.disconnect();
    },
  };
}

/** A loopback Redis URL on which nothing listens (see closedPort). */
export async function closedRedisUrl(): Promise<string> {
  return `redis://127.0.0.1:${await closedPort()}/0`;
}

/**
 * Which endpoint a request is, as Tollgate's host decides it: asked of a
 * real oidc-provider's router (configured like Tollgate's: introspection,
 * revocation and pushed authorization requests enabled), so the stand-in
 * behind the gate is reached by exactly the spellings the provider routes.
 */
export const gateKindOf: (ctx: { method: string; path: string }) => GateKind | undefined = (() => {
  const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  const provider = new Provider('http://127.0.0.1', {
    jwks: { keys: [{ ...jwk, kid: 'fixture', alg: 'ES256', use: 'sig' }] },
    features: { devInteractions: { enabled: false }, introspection: { enabled: true }, revocation: { enabled: true } },
  });
  const routeOf = routeOfProvider(provider);
  return (ctx) => gateKindOfRoute(routeOf(ctx.method, ctx.path)?.name);
})();

/** Room enough that a suite about one limit never meets the other. */
export const UNREACHED = { max: 1_000_000, durationMs: 60_000 };

/**
 * The token-endpoint gate as `createRateLimits` builds it, with the limits a
 * suite chooses (by default none it would reach), counting in Redis when
 * `redis` is given and in memory otherwise.
 */
export function createTestGate(options: {
  requestLimit?: LimitSpec;
  failureLimit?: LimitSpec;
  /** Failures per address (default: `failureLimit`). */
  failureIpLimit?: LimitSpec;
  trustProxy?: string;
  redis?: Redis | undefined;
  prefix?: string | undefined;
  now?: () => number;
  memoryCapacity?: number;
  onError?: (error: unknown) => void;
}): { middleware: Middleware; failures: FailureCounter } {
  const onError = options.onError ?? ((error: unknown) => assert.fail(String(error)));
  const counters = createWindowCounters({ redis: options.redis, onError, now: options.now, memoryCapacity: options.memoryCapacity });
  const failures = createFailureCounter({ counters, limit: options.failureLimit ?? UNREACHED, ipLimit: options.failureIpLimit, prefix: options.prefix });
  const middleware = createTokenEndpointGate({
    requestLimit: options.requestLimit ?? UNREACHED,
    failures,
    counters,
    trustProxy: parseTrustProxy(options.trustProxy ?? 'loopback'),
    gateKindOf,
    prefix: options.prefix,
  });
  return { middleware, failures };
}
