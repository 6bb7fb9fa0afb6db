import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { describe, test } from 'node:test';
import { createRateLimits, type RateLimits } from '../../src/rate-limit/index.js';
import { loadConfig } from '../../src/config.js';
import { closedRedisUrl, gateKindOf, post, startApp } from './fixture.js';

const settings = rateLimitSettings({ ...settingsEnv(), TOLLGATE_RATE_LIMIT_REDIS_DOWN: 'open' });

/** Sends more requests than both limits allow; every one must reach the stand-in provider quickly. */
async function assertFailsOpen(limits: RateLimits, errors: unknown[]): Promise<void> {
  const app = await startApp(limits.gate(gateKindOf));
  const started = performance.now();
  try {
    for (let request = 0; request < 8; request += 1) {
      const started = performance.now();
      const answer = await post(app, '/token', { ip: '203.0.113.1', clientId: 'c', secret: 'wrong' });
      const ms = performance.now() - started;
      assert.equal(answer.status, 401, 'the provider answered: neither 429 nor 500');
      assert.ok(ms < 1_000, `answered in ${Math.round(ms)} ms`);
      assert.equal(answer.headers.get('ratelimit-limit'), null, 'no half-written limit headers');
    }
    assert.equal(app.providerCalls(), 8);
    // Only the first request waits for Redis; the breaker spares the rest.
    assert.ok(performance.now() - started < 1_000, 'eight requests in under a second');
    assert.ok(errors.length >= 1, 'the outage was reported');
    assert.ok(errors.length <= 2, 'reports are throttled, not one per request');
  } finally {
    await app.close();
    await limits.close();
  }
}

/**
 * A server that completes ioredis's handshake and then never answers a
 * script: Redis that is up but stuck.
 */
async function stuckRedis(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    let buffered = '';
    socket.on('data', (chunk) => {
      buffered += chunk.toString('latin1');
      for (;;) {
        const command = /^\*(\d+)\r\n/.exec(buffered);
        if (!command) return;
        let offset = command[0].length;
        const args: string[] = [];
        for (let index = 0; index < Number(command[1]); index += 1) {
          const header = /^\$(\d+)\r\n/.exec(buffered.slice(offset));
          if (!header || buffered.length < offset + header[0].length + Number(header[1]) + 2) return;
          offset += header[0].length;
          args.push(buffered.slice(offset, offset + Number(header[1])));
          offset += Number(header[1]) + 2;
        }
        buffered = buffered.slice(offset);
        const name = args[0]?.toUpperCase();
        if (name === 'INFO') {
          const info = 'redis_version:7.2.0\r\nloading:0\r\n';
          socket.write(`$${info.length}\r\n${info}\r\n`);
        } else if (name !== 'EVALSHA' && name !== 'EVAL') socket.write('+OK\r\n');
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `redis://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('Redis unavailable, TOLLGATE_RATE_LIMIT_REDIS_DOWN=open: the limits fail open', () => {
  test('nothing listens on the Redis port: requests pass at once and the error is reported', async () => {
    const errors: unknown[] = [];
    await assertFailsOpen(createRateLimits({ settings, redisUrl: await closedRedisUrl(), onError: (error) => errors.push(error) }), errors);
  });

  test('Redis accepts the connection but never answers: requests pass after the command timeout', async () => {
    const redis = await stuckRedis();
    try {
      const errors: unknown[] = [];
      const limits = createRateLimits({ settings, redisUrl: redis.url, onError: (error) => errors.push(error) });
      await new Promise((resolve) => setTimeout(resolve, 100)); // let the handshake finish, so commands are sent
      await assertFailsOpen(limits, errors);
      assert.match(String(errors[0]), /timed out/i);
    } finally {
      await redis.close();
    }
  });
});

describe('Redis unavailable, default (memory): each instance limits on its own', () => {
  test('limits still apply, counted in this process, and nothing waits for Redis', async () => {
    const errors: unknown[] = [];
    const limits = createRateLimits({ settings: rateLimitSettings(settingsEnv()), redisUrl: await closedRedisUrl(), onError: (error) => errors.push(error) });
    const app = await startApp(limits.gate(gateKindOf));
    const started = performance.now();
    try {
      const statuses: number[] = [];
      for (let request = 0; request < 6; request += 1) statuses.push((await post(app, '/token', { ip: '203.0.113.9', clientId: 'c' })).status);
      assert.deepEqual(statuses, [401, 401, 429, 429, 429, 429]);
      assert.equal(app.providerCalls(), 2);
      assert.ok(performance.now() - started < 1_000, 'six requests in under a second');
      assert.ok(errors.length >= 1 && errors.length <= 2, 'the outage was reported, throttled');
    } finally {
      await app.close();
      await limits.close();
    }
  });
});

describe('Redis unavailable, TOLLGATE_RATE_LIMIT_REDIS_DOWN=closed', () => {
  test('requests to the limited endpoints get 503 with Retry-After, never reaching the provider', async () => {
    const limits = createRateLimits({
      settings: rateLimitSettings({ ...settingsEnv(), TOLLGATE_RATE_LIMIT_REDIS_DOWN: 'closed' }),
      redisUrl: await closedRedisUrl(),
      onError: () => undefined,
    });
    const app = await startApp(limits.gate(gateKindOf));
    try {
      for (let request = 0; request < 3; request += 1) {
        const answer = await post(app, '/token', { ip: '203.0.113.10', clientId: 'c' });
        assert.equal(answer.status, 503);
        assert.equal(answer.headers.get('retry-after'), '1');
        assert.equal((answer.body as Record<string, unknown>)['error'], 'temporarily_unavailable');
      }
      assert.equal(app.providerCalls(), 0);
    } finally {
      await app.close();
      await limits.close();
    }
  });
});

describe('switches', () => {
  test('TOLLGATE_RATE_LIMITS=off mounts a pass-through', async () => {
    const limits = createRateLimits({ settings: rateLimitSettings({ ...settingsEnv(), TOLLGATE_RATE_LIMITS: 'off' }), onError: (error) => assert.fail(String(error)) });
    const app = await startApp(limits.gate(gateKindOf));
    try {
      for (let request = 0; request < 6; request += 1) assert.equal((await post(app, '/token', { ip: '203.0.113.2' })).status, 401);
    } finally {
      await app.close();
      await limits.close();
    }
  });

  test('on (the default), without Redis: per-address limit first, then failed authentications, in memory', async () => {
    const limits = createRateLimits({ settings: rateLimitSettings({ ...settingsEnv(), TOLLGATE_RATE_LIMIT_IP: '5/min' }), onError: (error) => assert.fail(String(error)) });
    const app = await startApp(limits.gate(gateKindOf));
    try {
      const statuses: number[] = [];
      for (let request = 0; request < 6; request += 1) statuses.push((await post(app, '/token', { ip: '203.0.113.3', clientId: 'c' })).status);
      // Two failures block the client id and the address; the sixth request is over the address limit.
      assert.deepEqual(statuses, [401, 401, 429, 429, 429, 429]);
      assert.equal(app.providerCalls(), 2);
    } finally {
      await app.close();
      await limits.close();
    }
  });
});

/** Rate-limit settings as the configuration reads them from `env`. */
function rateLimitSettings(env: Record<string, string>) {
  return loadConfig(env, { developmentSecret: () => 'd'.repeat(48) }).rateLimits;
}

function settingsEnv(): Record<string, string> {
  return { TOLLGATE_RATE_LIMIT_IP: '2/min', TOLLGATE_RATE_LIMIT_AUTH_FAILURES: '2/min', TOLLGATE_TRUST_PROXY: '1' };
}
