import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import { createQuotaCounter, type QuotaCounter, type QuotaVerdict } from '../../src/rate-limit/quota-counter.js';
import { createRateLimitRedis } from '../../src/rate-limit/redis.js';
import { closedRedisUrl, connectTestRedis, REDIS_SKIP } from '../rate-limit/fixture.js';

const HOUR = 3_600_000;
const granted = (verdict: QuotaVerdict) => verdict.granted;

describe('quota counter in memory, on an injected clock', () => {
  let now = 1_000_000;
  const counter = createQuotaCounter({ onError: (error) => assert.fail(String(error)), now: () => now });
  const client = { key: 'client-a', limit: { max: 3, durationMs: HOUR } };
  const tenant = { key: 'tenant-a', limit: { max: 4, durationMs: HOUR } };

  test('grants up to the limit, then refuses with the time left in the window; a new window starts afresh', async () => {
    const standings = [];
    for (let i = 0; i < 3; i += 1) {
      const verdict = await counter.take([client]);
      assert.ok(verdict.granted);
      standings.push(verdict.standings[0]);
      now += 1_000;
    }
    assert.deepEqual(standings.map((standing) => standing?.remaining), [2, 1, 0]);
    assert.equal(standings[0]?.limit, 3);
    assert.equal(standings[0]?.resetSeconds, 3600);

    const refused = await counter.take([client]);
    assert.equal(refused.granted, false);
    assert.ok(!refused.granted);
    assert.equal(refused.refusedBy, 0);
    // The window began at the first grant, 3 s ago.
    assert.deepEqual(refused.standing, { limit: 3, remaining: 0, resetSeconds: 3597 });

    now += HOUR;
    assert.ok(granted(await counter.take([client])), 'the next window has room again');
  });

  test('all or nothing: a full tenant window gives the client charge back', async () => {
    const a = { key: 'client-b', limit: { max: 10, durationMs: HOUR } };
    const b = { key: 'client-c', limit: { max: 10, durationMs: HOUR } };
    for (let i = 0; i < 4; i += 1) assert.ok(granted(await counter.take([i % 2 ? a : b, tenant])));
    const refused = await counter.take([a, tenant]);
    assert.ok(!refused.granted);
    assert.equal(refused.refusedBy, 1);
    // a was charged twice and given back once: 8 left, not 7.
    const alone = await counter.take([a]);
    assert.ok(alone.granted);
    assert.equal(alone.standings[0]?.remaining, 7);
  });

  test('release gives a grant back, and not twice over into a new window', async () => {
    const window = { key: 'client-d', limit: { max: 1, durationMs: 60_000 } };
    const first = await counter.take([window]);
    assert.ok(first.granted);
    assert.equal((await counter.take([window])).granted, false);
    await first.release();
    const second = await counter.take([window]);
    assert.ok(second.granted);
    now += 60_000;
    await second.release();
    const fresh = await counter.take([window]);
    assert.ok(fresh.granted);
    assert.equal(fresh.standings[0]?.remaining, 0);
  });

  test('the memory store is bounded', async () => {
    const small = createQuotaCounter({ onError: () => undefined, memoryCapacity: 2, now: () => now });
    const limit = { max: 1, durationMs: HOUR };
    assert.ok(granted(await small.take([{ key: 'x', limit }])));
    assert.ok(granted(await small.take([{ key: 'y', limit }])));
    assert.ok(granted(await small.take([{ key: 'z', limit }])));
    // 'x' was evicted as the oldest: a fresh window, rather than an unbounded map.
    assert.ok(granted(await small.take([{ key: 'x', limit }])));
    assert.equal((await small.take([{ key: 'z', limit }])).granted, false);
  });
});

describe('quota counter in Redis', { skip: REDIS_SKIP }, () => {
  let redis: Redis;
  let prefix: string;
  let close: () => Promise<void>;
  let counter: QuotaCounter;

  before(async () => {
    ({ redis, prefix, close } = await connectTestRedis());
    counter = createQuotaCounter({ redis, onError: (error) => assert.fail(String(error)) });
  });
  after(() => close());

  test('concurrent takes from two connections never grant more than the limit', async () => {
    const other = await connectTestRedis();
    try {
      const counters = [counter, createQuotaCounter({ redis: other.redis, onError: (error) => assert.fail(String(error)) })];
      const window = { key: `${prefix}:{client:race}:token-quota`, limit: { max: 5, durationMs: HOUR } };
      const verdicts = await Promise.all(Array.from({ length: 40 }, (_, i) => counters[i % 2]!.take([window])));
      assert.equal(verdicts.filter(granted).length, 5);
      const pttl = await redis.pttl(window.key);
      assert.ok(pttl > HOUR - 5_000 && pttl <= HOUR, `window expiry ${pttl}`);
      assert.equal(await redis.get(window.key), '5', 'refusals do not inflate the count');
    } finally {
      await other.close();
    }
  });

  test('all or nothing across two keys in different slots', async () => {
    const client = { key: `${prefix}:{client:x}:token-quota`, limit: { max: 10, durationMs: HOUR } };
    const tenant = { key: `${prefix}:{tenant:x}:token-quota`, limit: { max: 1, durationMs: HOUR } };
    assert.ok(granted(await counter.take([client, tenant])));
    const refused = await counter.take([client, tenant]);
    assert.ok(!refused.granted);
    assert.equal(refused.refusedBy, 1);
    assert.ok(refused.standing.resetSeconds > 3590);
    assert.equal(await redis.get(client.key), '1', 'the client charge was given back');
  });

  test('release decrements, and a window that ended is not recreated', async () => {
    const window = { key: `${prefix}:{client:release}:token-quota`, limit: { max: 2, durationMs: HOUR } };
    const verdict = await counter.take([window]);
    assert.ok(verdict.granted);
    await verdict.release();
    assert.equal(await redis.get(window.key), '0');
    await redis.del(window.key);
    await verdict.release();
    assert.equal(await redis.exists(window.key), 0);
  });
});

describe('quota counter when Redis is down', () => {
  test('default: counts in this process\'s memory meanwhile, and says why once', async () => {
    const errors: unknown[] = [];
    const redis = createRateLimitRedis(await closedRedisUrl(), () => undefined);
    try {
      const counter = createQuotaCounter({ redis, onError: (error) => errors.push(error) });
      const window = { key: 'tollgate-test:{client:down}:token-quota', limit: { max: 2, durationMs: HOUR } };
      const granted: boolean[] = [];
      for (let i = 0; i < 3; i += 1) granted.push((await counter.take([window])).granted);
      assert.deepEqual(granted, [true, true, false]);
      // The first failure opens the breaker; later takes skip Redis without asking it.
      assert.equal(errors.length, 1);
    } finally {
      redis.disconnect();
    }
  });

  test('whenRedisDown open: grants without counting', async () => {
    const redis = createRateLimitRedis(await closedRedisUrl(), () => undefined);
    try {
      const counter = createQuotaCounter({ redis, onError: () => undefined, whenRedisDown: 'open' });
      const window = { key: 'tollgate-test:{client:open}:token-quota', limit: { max: 1, durationMs: HOUR } };
      for (let i = 0; i < 3; i += 1) {
        const verdict = await counter.take([window]);
        assert.ok(verdict.granted);
        assert.deepEqual(verdict.standings, [undefined]);
      }
    } finally {
      redis.disconnect();
    }
  });
});
