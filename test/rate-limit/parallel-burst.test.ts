import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import { connectTestRedis, createTestGate, OUTAGE_SECRET, post, REDIS_SKIP, RIGHT_SECRET, startApp, UNREACHED } from './fixture.js';

const PER_CLIENT = { max: 10, durationMs: 60_000 };
const PER_ADDRESS = { max: 50, durationMs: 60_000 };
/** What argon2 takes, roughly: long enough that every request of a burst is in flight at once. */
const VERIFY_MS = 40;

const countStatuses = (statuses: number[]) => {
  const counts = new Map<number, number>();
  for (const status of statuses) counts.set(status, (counts.get(status) ?? 0) + 1);
  return Object.fromEntries(counts);
};

/** The same behaviour, whichever store holds the counters. */
function burstsNeverPassTheLimit(store: () => { redis?: Redis; prefix?: string }) {
  const start = (failureLimit = PER_CLIENT, failureIpLimit = PER_ADDRESS) =>
    startApp(createTestGate({ failureLimit, failureIpLimit, ...store() }).middleware, { verifyMs: VERIFY_MS });

  test('40 parallel wrong secrets for one client: no more than its limit reach the secret check', async () => {
    const app = await start();
    try {
      const statuses = await Promise.all(
        Array.from({ length: 40 }, async (_, index) => (await post(app, '/token', { ip: `203.0.113.${index + 1}`, clientId: 'burst-victim' })).status),
      );
      const counts = countStatuses(statuses);
      assert.ok((counts[401] ?? 0) <= PER_CLIENT.max, JSON.stringify(counts));
      assert.equal((counts[401] ?? 0) + (counts[429] ?? 0), 40, JSON.stringify(counts));
      assert.ok(app.providerCalls() <= PER_CLIENT.max, `${app.providerCalls()} reached the provider`);
    } finally {
      await app.close();
    }
  });

  test('60 parallel wrong secrets from one address, each for another client id: no more than the address limit pass', async () => {
    const app = await start(UNREACHED);
    try {
      const statuses = await Promise.all(
        Array.from({ length: 60 }, async (_, index) => (await post(app, '/token', { ip: '198.51.100.7', clientId: `stuffed-${index}` })).status),
      );
      const counts = countStatuses(statuses);
      assert.ok((counts[401] ?? 0) <= PER_ADDRESS.max, JSON.stringify(counts));
      assert.equal((counts[401] ?? 0) + (counts[429] ?? 0), 60, JSON.stringify(counts));
    } finally {
      await app.close();
    }
  });

  test('a request that fails past the provider (an outage, 503) gives its reservation back: it is no failed authentication', async () => {
    const app = await start({ max: 2, durationMs: 60_000 }, { max: 2, durationMs: 60_000 });
    try {
      for (let request = 0; request < 5; request += 1) {
        assert.equal((await post(app, `/token?client_secret=${OUTAGE_SECRET}`, { ip: '192.0.2.90' })).status, 503, `request ${request}`);
      }
      // The outage over, the address and the client still have their whole allowance.
      assert.equal((await post(app, '/token', { ip: '192.0.2.90', clientId: 'after-outage' })).status, 401);
    } finally {
      await app.close();
    }
  });

  test('successes give their reservation back: sequential right secrets never run into the failure limits', async () => {
    const app = await start({ max: 2, durationMs: 60_000 }, { max: 2, durationMs: 60_000 });
    try {
      // client_secret_post (no Basic header): reserved per address every time, given back every time.
      for (let request = 0; request < 6; request += 1) {
        assert.equal((await post(app, `/token?client_secret=${RIGHT_SECRET}`, { ip: '192.0.2.77' })).status, 200);
      }
      // A Basic credential's first success proves it; then it is only read against the limits.
      for (let request = 0; request < 6; request += 1) {
        assert.equal((await post(app, '/token', { ip: '192.0.2.78', clientId: 'steady', secret: RIGHT_SECRET })).status, 200);
      }
      // The failures still count from zero: two refusals, then the lock.
      const failures = [];
      for (let request = 0; request < 3; request += 1) failures.push((await post(app, '/token', { ip: '192.0.2.79', clientId: 'steady' })).status);
      assert.deepEqual(failures, [401, 401, 429]);
    } finally {
      await app.close();
    }
  });

  test('a proven credential is not capped by the failure limit: 30 parallel right secrets all pass', async () => {
    const app = await start();
    try {
      assert.equal((await post(app, '/token', { ip: '192.0.2.90', clientId: 'busy', secret: RIGHT_SECRET })).status, 200);
      const statuses = await Promise.all(
        Array.from({ length: 30 }, async () => (await post(app, '/token', { ip: '192.0.2.90', clientId: 'busy', secret: RIGHT_SECRET })).status),
      );
      assert.deepEqual(countStatuses(statuses), { 200: 30 });
    } finally {
      await app.close();
    }
  });
}

describe('parallel bursts, memory', () => {
  burstsNeverPassTheLimit(() => ({}));
});

describe('parallel bursts, Redis', { skip: REDIS_SKIP }, () => {
  let connection: Awaited<ReturnType<typeof connectTestRedis>>;
  before(async () => {
    connection = await connectTestRedis();
  });
  after(() => connection.close());
  burstsNeverPassTheLimit(() => ({ redis: connection.redis, prefix: connection.prefix }));
});
