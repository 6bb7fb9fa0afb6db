import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { argon2Verifications } from '../../src/registry/secrets.js';
import { postForm, seedMachineClient, startTestServer } from '../helpers/server.js';

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

describe('rate limits shared through Redis', { skip: redisUrl ? false : 'Redis suite skipped: TEST_REDIS_URL is not set' }, () => {
  test('two instances count one client\'s failures together', async () => {
    // A fresh client id per run keeps counters from earlier runs out of the way.
    const env = limitsOn({ REDIS_URL: redisUrl!, TOLLGATE_RATE_LIMIT_AUTH_FAILURES: '4/min' });
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
