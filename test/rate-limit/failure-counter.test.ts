import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import type { FailureCounter } from '../../src/rate-limit/failure-counter.js';
import { connectTestRedis, createTestGate, post, REDIS_SKIP, RIGHT_SECRET, startApp, type TestApp } from './fixture.js';

const LIMIT = { max: 3, durationMs: 60_000 };

/** The same behaviour, whichever store holds the counters. */
function failureCounting(store: () => { redis?: Redis; prefix?: string }) {
  let counter: FailureCounter;
  let app: TestApp;
  before(async () => {
    const gate = createTestGate({ failureLimit: LIMIT, trustProxy: '1', ...store() });
    counter = gate.failures;
    app = await startApp(gate.middleware);
  });
  after(() => app.close());

  test('check never counts; N failures of one client id block it, and only it, before the provider runs', async () => {
    for (let checks = 0; checks < LIMIT.max * 2; checks += 1) {
      assert.deepEqual(await counter.check({ clientId: 'victim', ip: '192.0.2.200' }), { limited: false });
    }
    // Wrong secrets for one client id, each from a different address.
    for (let failure = 1; failure <= LIMIT.max; failure += 1) {
      const answer = await post(app, '/token', { ip: `192.0.2.${failure}`, clientId: 'victim', secret: 'guess' });
      assert.equal(answer.status, 401);
    }
    const calls = app.providerCalls();
    const blocked = await post(app, '/token', { ip: '192.0.2.99', clientId: 'victim', secret: RIGHT_SECRET });
    assert.equal(blocked.status, 429);
    assert.equal(blocked.body['error'], 'rate_limited');
    assert.match(String(blocked.body['error_description']), /failed client authentications/);
    const retryAfter = Number(blocked.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
    assert.equal(app.providerCalls(), calls, 'no argon2: the provider is not reached');

    const verdict = await counter.check({ clientId: 'victim', ip: '192.0.2.99' });
    assert.ok(verdict.limited && verdict.retryAfterSeconds <= 60);
    // Another client from the same fresh address is served.
    assert.equal((await post(app, '/token', { ip: '192.0.2.99', clientId: 'other', secret: RIGHT_SECRET })).status, 200);
  });

  test('N failures from one address block that address for every client id, and only it', async () => {
    for (let failure = 0; failure < LIMIT.max; failure += 1) {
      assert.equal((await post(app, '/token/introspection', { ip: '198.51.100.50', clientId: `random-${failure}` })).status, 401);
    }
    assert.equal((await post(app, '/token/revocation', { ip: '198.51.100.50', clientId: 'other', secret: RIGHT_SECRET })).status, 429);
    assert.equal((await post(app, '/token', { ip: '198.51.100.51', clientId: 'other', secret: RIGHT_SECRET })).status, 200);
  });

  test('client_secret_post failures (no Basic header) count per address', async () => {
    for (let failure = 0; failure < LIMIT.max; failure += 1) {
      assert.equal((await post(app, '/token', { ip: '198.51.100.60' })).status, 401);
    }
    assert.equal((await post(app, '/token?client_secret=right-secret', { ip: '198.51.100.60' })).status, 429);
  });

  test('reserve: of a parallel burst for one client id, exactly the limit are booked; giveBack frees one place', async () => {
    const attemptFrom = (index: number) => ({ clientId: 'reserved', ip: `203.0.113.${index + 1}` });
    const verdicts = await Promise.all(Array.from({ length: 20 }, (_, index) => counter.reserve(attemptFrom(index))));
    assert.equal(verdicts.filter((verdict) => !verdict.limited).length, LIMIT.max);
    assert.ok(verdicts.every((verdict) => !verdict.limited || verdict.retryAfterSeconds <= 60));
    await counter.giveBack(attemptFrom(0));
    assert.deepEqual(await counter.reserve(attemptFrom(30)), { limited: false });
    assert.equal((await counter.reserve(attemptFrom(31))).limited, true);
  });

  test('successes and other errors are not failures', async () => {
    for (let request = 0; request < LIMIT.max * 2; request += 1) {
      assert.equal((await post(app, '/token', { ip: '198.51.100.70', clientId: 'good', secret: RIGHT_SECRET })).status, 200);
    }
    assert.deepEqual(await counter.check({ clientId: 'good', ip: '198.51.100.70' }), { limited: false });
  });
}

describe('failed client authentication counter, memory', () => {
  failureCounting(() => ({}));

  test('the window ends and the count starts again; memory stays bounded', async () => {
    let now = 1_000_000;
    const counter = createTestGate({ failureLimit: LIMIT, memoryCapacity: 4, now: () => now }).failures;
    const attempt = { clientId: 'c', ip: '192.0.2.1' };
    for (let failure = 0; failure < LIMIT.max; failure += 1) await counter.recordFailure(attempt);
    assert.deepEqual(await counter.check(attempt), { limited: true, retryAfterSeconds: 60 });
    now += 59_001;
    assert.deepEqual(await counter.check(attempt), { limited: true, retryAfterSeconds: 1 });
    now += 1_000;
    assert.deepEqual(await counter.check(attempt), { limited: false });
    for (let failure = 0; failure < LIMIT.max; failure += 1) await counter.recordFailure(attempt);
    // Five more subjects push the oldest counters out of a four-entry store.
    for (let other = 0; other < 5; other += 1) await counter.recordFailure({ clientId: undefined, ip: `198.51.100.${other}` });
    assert.deepEqual(await counter.check(attempt), { limited: false });
  });
});

describe('failed client authentication counter, Redis', { skip: REDIS_SKIP }, () => {
  let connection: Awaited<ReturnType<typeof connectTestRedis>>;
  before(async () => {
    connection = await connectTestRedis();
  });
  after(() => connection.close());
  failureCounting(() => ({ redis: connection.redis, prefix: connection.prefix }));

  test('one hash-tagged key per subject, with the window as its expiry', async () => {
    const key = `${connection.prefix}:{client:victim}:auth-failures`;
    assert.equal(await connection.redis.get(key), String(LIMIT.max));
    const ttl = await connection.redis.pttl(key);
    assert.ok(ttl > 0 && ttl <= LIMIT.durationMs);
    assert.equal(await connection.redis.get(`${connection.prefix}:{ip:198.51.100.50}:auth-failures`), String(LIMIT.max));
  });
});
