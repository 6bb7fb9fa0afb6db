import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { argon2Verifications } from '../../src/registry/secrets.js';
import { eventually, postForm, seedMachineClient, startTestServer, type MachineClient, type TestServer } from '../helpers/server.js';
import { ownRedisUnavailable, startOwnRedis } from '../helpers/own-redis.js';

const limitsOn = (extra: Record<string, string> = {}) => ({ TOLLGATE_RATE_LIMITS: 'on', ...extra });

describe('rate limits at the real token endpoint', () => {
  test('failed client authentication is limited per client before argon2 runs: 429 with Retry-After and RateLimit headers', async () => {
    const server = await startTestServer('sqlite', {
      env: limitsOn({ TOLLGATE_RATE_LIMIT_AUTH_FAILURES: '3/min', TOLLGATE_RATE_LIMIT_AUTH_FAILURES_IP: '5/min' }),
    });
    try {
      const machine = await seedMachineClient(server);
      const wrong = { ...machine, clientSecret: 'wrong' };
      for (let i = 0; i < 3; i += 1) {
        assert.equal((await postForm(`${server.url}/token`, { grant_type: 'client_credentials' }, wrong)).status, 401);
      }
      const before = argon2Verifications();
      const limited = await postForm(`${server.url}/token`, { grant_type: 'client_credentials' }, wrong);
      assert.equal(argon2Verifications(), before, 'argon2 must not run once the limit has tripped');
      assert.equal(limited.status, 429);
      assert.equal(limited.body['error'], 'rate_limited');
      assert.ok(Number(limited.headers.get('retry-after')) >= 1);
      assert.ok(limited.headers.get('ratelimit-limit'));
      // The right secret is refused too until the window passes: the limit is per client.
      assert.equal((await postForm(`${server.url}/token`, { grant_type: 'client_credentials' }, machine)).status, 429);
      const other = await seedMachineClient(server);
      assert.equal((await postForm(`${server.url}/token`, { grant_type: 'client_credentials' }, other)).status, 200);
      // Stuffing across client ids from one address meets the per-address limit (5).
      for (let i = 0; i < 2; i += 1) {
        assert.equal((await postForm(`${server.url}/token`, { grant_type: 'client_credentials' }, { ...other, clientSecret: 'wrong' })).status, 401);
      }
      const third = await seedMachineClient(server);
      assert.equal((await postForm(`${server.url}/token`, { grant_type: 'client_credentials' }, third)).status, 429);
    } finally {
      await server.stop();
    }
  });

  test('the per-address limit covers /token; a spoofed X-Forwarded-For changes nothing by default', async () => {
    const server = await startTestServer('sqlite', { env: limitsOn({ TOLLGATE_RATE_LIMIT_IP: '5/min' }) });
    try {
      const machine = await seedMachineClient(server);
      const statuses: number[] = [];
      for (let i = 0; i < 7; i += 1) {
        const response = await postForm(`${server.url}/token`, { grant_type: 'client_credentials' }, machine, { 'x-forwarded-for': `203.0.113.${i}` });
        statuses.push(response.status);
      }
      assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429]);
      assert.equal((await fetch(`${server.url}/.well-known/openid-configuration`)).status, 200, 'discovery is not limited');
    } finally {
      await server.stop();
    }
  });
});

const redisUrl = process.env['TEST_REDIS_URL'];
/**
 * Every suite (and every concurrent run) on this machine comes from
 * 127.0.0.1, and Redis shares per-address counters between them; fresh
 * client ids keep per-client counters apart, these keep the address ones out of the way.
 */
const sharedAddressRoom = { TOLLGATE_RATE_LIMIT_IP: '100000/min', TOLLGATE_RATE_LIMIT_AUTH_FAILURES_IP: '100000/min' };

describe('rate limits shared through Redis', { skip: redisUrl ? false : 'Redis suite skipped: TEST_REDIS_URL is not set' }, () => {
  test('two instances count one client\'s failures together', async () => {
    // A fresh client id per run keeps counters from earlier runs out of the way.
    const env = limitsOn({ REDIS_URL: redisUrl!, ...sharedAddressRoom, TOLLGATE_RATE_LIMIT_AUTH_FAILURES: '4/min' });
    const a = await startTestServer('sqlite', { env });
    const b = await startTestServer('sqlite', { env, sharing: a });
    try {
      const machine = await seedMachineClient(a, { tenant: `t${randomBytes(3).toString('hex')}` });
      const wrong = { ...machine, clientSecret: 'wrong' };
      for (const server of [a, b, a, b]) {
        assert.equal((await postForm(`${server.url}/token`, { grant_type: 'client_credentials' }, wrong)).status, 401);
      }
      assert.equal((await postForm(`${b.url}/token`, { grant_type: 'client_credentials' }, wrong)).status, 429);
      assert.equal((await postForm(`${a.url}/token`, { grant_type: 'client_credentials' }, wrong)).status, 429);
    } finally {
      await b.stop();
      await a.stop();
    }
  });
});

describe('Redis stops and comes back under two instances', { skip: redisUrl ? ownRedisUnavailable() ?? false : 'Redis suite skipped: TEST_REDIS_URL is not set' }, () => {
  test('shared limits; Redis down → tokens still issued and limits counted per instance; Redis back → shared again', async () => {
    // A redis-server of this test's own, so stopping it touches no other suite.
    const own = await startOwnRedis();
    const env = limitsOn({ REDIS_URL: own.url, ...sharedAddressRoom, TOLLGATE_RATE_LIMIT_AUTH_FAILURES: '3/min' });
    const a = await startTestServer('sqlite', { env });
    const b = await startTestServer('sqlite', { env, sharing: a });
    const tenant = `t${randomBytes(3).toString('hex')}`;
    const token = (server: TestServer, client: MachineClient) => postForm(`${server.url}/token`, { grant_type: 'client_credentials' }, client);
    const wrong = (client: MachineClient) => ({ ...client, clientSecret: 'wrong' });
    /** Three failures spread over both instances: the fourth attempt is refused at either one only if they share counters. */
    const sharesFailures = async () => {
      const client = await seedMachineClient(a, { tenant });
      for (const server of [a, b, a]) assert.equal((await token(server, wrong(client))).status, 401);
      return (await token(b, wrong(client))).status === 429;
    };
    try {
      assert.equal(await sharesFailures(), true, 'with Redis up the instances share one count');

      await own.stop();
      const healthy = await seedMachineClient(a, { tenant });
      assert.equal((await token(a, healthy)).status, 200, 'Redis down: tokens are still issued');
      assert.equal((await token(b, healthy)).status, 200);
      const attacked = await seedMachineClient(a, { tenant });
      for (let i = 0; i < 3; i += 1) assert.equal((await token(a, wrong(attacked))).status, 401);
      assert.equal((await token(a, wrong(attacked))).status, 429, 'Redis down: A still limits, in its own memory');
      assert.equal((await token(b, wrong(attacked))).status, 401, 'B has not seen those failures');

      await own.start();
      await eventually(async () => assert.equal(await sharesFailures(), true, 'Redis back: shared again'), 10_000);
    } finally {
      await b.stop();
      await a.stop();
      await own.destroy();
    }
  });
});
