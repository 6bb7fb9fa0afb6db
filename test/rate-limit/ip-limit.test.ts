import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import { connectTestRedis, createTestGate, post, REDIS_SKIP, REDIS_URL, startApp, type TestApp } from './fixture.js';

const LIMIT = { max: 3, durationMs: 60_000 };

/** The same behaviour, whichever store holds the counters. */
function perAddressLimit(store: () => { redis?: Redis; prefix?: string }) {
  let app: TestApp;
  const errors: unknown[] = [];
  before(async () => {
    const { redis, prefix } = store();
    app = await startApp(createTestGate({ requestLimit: LIMIT, redis, prefix, onError: (error) => errors.push(error) }).middleware);
  });
  after(() => app.close());

  test('the request after N from one address gets 429, Retry-After, RateLimit-* headers and an OAuth error body', async () => {
    const ip = '203.0.113.10';
    for (let sent = 1; sent <= LIMIT.max; sent += 1) {
      const answer = await post(app, '/token', { ip, clientId: 'c', secret: 'right-secret' });
      assert.equal(answer.status, 200);
      assert.equal(answer.headers.get('ratelimit-limit'), String(LIMIT.max));
      assert.equal(answer.headers.get('ratelimit-remaining'), String(LIMIT.max - sent));
      const reset = Number(answer.headers.get('ratelimit-reset'));
      assert.ok(reset > 0 && reset <= 60, `RateLimit-Reset is seconds from now, got ${reset}`);
    }
    const callsBefore = app.providerCalls();
    const limited = await post(app, '/token', { ip, clientId: 'c', secret: 'right-secret' });
    assert.equal(limited.status, 429);
    assert.equal(limited.body['error'], 'rate_limited');
    assert.match(String(limited.body['error_description']), /too many requests/);
    assert.match(limited.headers.get('content-type') ?? '', /application\/json/);
    const retryAfter = Number(limited.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
    assert.equal(limited.headers.get('ratelimit-remaining'), '0');
    assert.equal(limited.headers.get('ratelimit-limit'), String(LIMIT.max));
    assert.equal(app.providerCalls(), callsBefore, 'a limited request never reaches the provider');
    // Introspection and revocation share the address's budget.
    assert.equal((await post(app, '/token/introspection', { ip })).status, 429);
    assert.equal((await post(app, '/token/revocation', { ip })).status, 429);
    assert.deepEqual(errors, []);
  });

  test('other addresses are unaffected; IPv6 addresses share their /64', async () => {
    assert.equal((await post(app, '/token', { ip: '203.0.113.11', clientId: 'c', secret: 'right-secret' })).status, 200);
    for (let sent = 0; sent < LIMIT.max; sent += 1) {
      assert.equal((await post(app, '/token', { ip: `2001:db8:7:7::${sent + 1}` })).status, 401);
    }
    assert.equal((await post(app, '/token', { ip: '2001:db8:7:7::ffff' })).status, 429);
    assert.equal((await post(app, '/token', { ip: '2001:db8:7:8::1' })).status, 401);
  });

  test('a spoofed X-Forwarded-For from an untrusted peer changes nothing', async () => {
    const untrusted = await startApp(createTestGate({ requestLimit: LIMIT, trustProxy: '10.0.0.0/8', ...store(), onError: () => undefined }).middleware);
    try {
      const statuses: number[] = [];
      for (let sent = 0; sent <= LIMIT.max; sent += 1) statuses.push((await post(untrusted, '/token/introspection', { ip: `198.51.100.${sent}` })).status);
      assert.deepEqual(statuses, [401, 401, 401, 429]);
    } finally {
      await untrusted.close();
    }
  });

  test('other endpoints and methods are not counted', async () => {
    const ip = '203.0.113.12';
    for (let sent = 0; sent < LIMIT.max * 2; sent += 1) {
      const answer = await post(app, '/jwks', { ip, method: 'GET' });
      assert.equal(answer.headers.get('ratelimit-limit'), null);
      await post(app, '/token', { ip, method: 'GET' });
    }
    assert.equal((await post(app, '/token', { ip })).status, 401);
  });
}

describe('per-address limit, memory', () => {
  perAddressLimit(() => ({}));
});

describe('per-address limit, Redis', { skip: REDIS_SKIP }, () => {
  let connection: Awaited<ReturnType<typeof connectTestRedis>>;
  before(async () => {
    connection = await connectTestRedis();
  });
  after(() => connection.close());
  perAddressLimit(() => ({ redis: connection.redis, prefix: connection.prefix }));

  test('a token request is one Redis command: its address counter and both failure counts in one script', async () => {
    const { Redis: RedisClient } = await import('ioredis');
    // monitor() opens a connection of its own; both are closed below.
    const client = new RedisClient(REDIS_URL!);
    const monitor = await client.monitor();
    const commands: string[][] = [];
    // What clients sent; the script's own calls show with source "lua".
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (source !== 'lua' && args.some((arg) => arg.startsWith(`${connection.prefix}:`))) commands.push(args);
    });
    const prefix = `${connection.prefix}:single`;
    const app = await startApp(createTestGate({ requestLimit: LIMIT, redis: connection.redis, prefix }).middleware);
    /** The commands the next request sends, once a marker command sent after it shows up (MONITOR lines arrive after the replies). */
    const commandsOf = async (request: () => Promise<unknown>): Promise<string[][]> => {
      commands.length = 0;
      await request();
      const marker = `${connection.prefix}:marker:${Math.random()}`;
      const markerSeen = new Promise<void>((resolve) => {
        const onCommand = (_time: string, args: string[]) => {
          if (!args.includes(marker)) return;
          monitor.off('monitor', onCommand);
          resolve();
        };
        monitor.on('monitor', onCommand);
      });
      await connection.redis.get(marker);
      await markerSeen;
      return commands.filter((args) => !args.includes(marker));
    };
    const token = (ip: string) => post(app, '/token', { ip, clientId: 'one-trip', secret: 'right-secret' });
    try {
      // Once first, so a script Redis has not cached yet (EVALSHA, then EVAL) is not counted.
      await post(app, '/token', { ip: '203.0.113.42', clientId: 'warm-up' });
      // The first success of a credential: the reservation, then its return (sent after the answer, not awaited).
      const first = await commandsOf(async () => {
        assert.equal((await token('203.0.113.41')).status, 200);
        await new Promise((resolve) => setImmediate(resolve));
      });
      assert.equal(first.length, 2, first.map((args) => args.join(' ')).join('\n'));
      // A proven credential: one command, which reads the failure counts.
      const proven = await commandsOf(async () => assert.equal((await token('203.0.113.40')).status, 200));
      assert.equal(proven.length, 1, proven.map((args) => args.join(' ')).join('\n'));
      const keys = proven[0]!.filter((arg) => arg.startsWith(`${prefix}:`));
      assert.deepEqual(keys, [`${prefix}:{ip:203.0.113.40}:requests`, `${prefix}:{ip:203.0.113.40}:auth-failures`, `${prefix}:{client:one-trip}:auth-failures`]);
      assert.deepEqual(proven[0]!.slice(-6), ['60000', 'read', '0', '60000', 'read', '0']);
    } finally {
      monitor.disconnect();
      client.disconnect();
      await app.close();
    }
  });

  test('counters are hash-tagged per address under the prefix and expire', async () => {
    // Its own prefix and requests: what other tests left behind is not counted on.
    const prefix = `${connection.prefix}:tagged`;
    const app = await startApp(createTestGate({ requestLimit: LIMIT, redis: connection.redis, prefix }).middleware);
    try {
      await post(app, '/token', { ip: '203.0.113.10', clientId: 'c', secret: 'right-secret' });
      await post(app, '/token', { ip: '2001:db8:7:7::1' });
    } finally {
      await app.close();
    }
    const keys = await connection.redis.keys(`${prefix}:*`);
    assert.ok(keys.includes(`${prefix}:{ip:203.0.113.10}:requests`), keys.join(' '));
    assert.ok(keys.includes(`${prefix}:{ip:2001:db8:7:7::/64}:requests`), keys.join(' '));
    for (const key of keys) {
      const ttl = await connection.redis.pttl(key);
      assert.ok(ttl > 0 && ttl <= LIMIT.durationMs, `${key} expires`);
    }
  });
});
