import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { databaseVariants } from '../helpers/databases.js';
import { eventually, postForm, seedMachineClient, startTestServer, type MachineClient, type TestServer } from '../helpers/server.js';
import { REDIS_SKIP, REDIS_URL } from '../rate-limit/fixture.js';

const limitsOn = (extra: Record<string, string> = {}) => ({ TOLLGATE_RATE_LIMITS: 'on', ...extra });
const grant = { grant_type: 'client_credentials' };
const token = (server: TestServer, client: MachineClient) => postForm(`${server.url}/token`, grant, client);
/** A tenant no other test or run uses, so counters never carry over. */
const freshTenant = () => `t${randomBytes(4).toString('hex')}`;

for (const variant of databaseVariants) {
  describe(`token quotas at the real token endpoint (${variant.kind})`, { skip: variant.skip }, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer(variant.kind, { env: limitsOn() });
    });
    after(() => server?.stop());

    test('a client quota of 3/h: three tokens, then 429 with Retry-After, RateLimit-* and an OAuth error; its tenant sibling is unaffected', async () => {
      const tenant = freshTenant();
      const limited = await seedMachineClient(server, { tenant });
      const sibling = await seedMachineClient(server, { tenant });
      await server.registry.clients.update(limited.clientId, { token_quota: '3/h' });

      const remaining: (string | null)[] = [];
      for (let i = 0; i < 3; i += 1) {
        const issued = await token(server, limited);
        assert.equal(issued.status, 200, JSON.stringify(issued.body));
        assert.ok(issued.body['access_token']);
        remaining.push(issued.headers.get('ratelimit-remaining'));
      }
      assert.deepEqual(remaining, ['2', '1', '0'], 'successes report what is left of the quota');

      const refused = await token(server, limited);
      assert.equal(refused.status, 429);
      assert.deepEqual(Object.keys(refused.body).sort(), ['error', 'error_description']);
      assert.equal(refused.body['error'], 'rate_limited');
      assert.match(String(refused.body['error_description']), /client's token quota \(3\/h\)/);
      const retryAfter = Number(refused.headers.get('retry-after'));
      assert.ok(retryAfter > 3500 && retryAfter <= 3600, `Retry-After ${retryAfter}`);
      assert.equal(refused.headers.get('ratelimit-limit'), '3');
      assert.equal(refused.headers.get('ratelimit-remaining'), '0');
      assert.equal(refused.headers.get('ratelimit-reset'), String(retryAfter));
      assert.equal(refused.headers.get('cache-control'), 'no-store');

      assert.equal((await token(server, sibling)).status, 200);
      assert.equal((await token(server, limited)).status, 429, 'still refused');
    });

    test('a tenant quota of 4/h is shared by its clients: the fifth token, from either, is refused', async () => {
      const tenant = freshTenant();
      const a = await seedMachineClient(server, { tenant });
      const b = await seedMachineClient(server, { tenant });
      const outsider = await seedMachineClient(server, { tenant: freshTenant() });
      await server.registry.tenants.update(tenant, { token_quota: '4/h' });

      const statuses = [];
      for (const client of [a, b, a, b]) statuses.push((await token(server, client)).status);
      assert.deepEqual(statuses, [200, 200, 200, 200]);
      for (const client of [a, b]) {
        const refused = await token(server, client);
        assert.equal(refused.status, 429);
        assert.equal(refused.body['error'], 'rate_limited');
        assert.match(String(refused.body['error_description']), /tenant's token quota \(4\/h\)/);
        assert.equal(refused.headers.get('ratelimit-limit'), '4');
      }
      assert.equal((await token(server, outsider)).status, 200, 'other tenants are unaffected');

      // Lifting the quota takes effect on the next request of this process.
      await server.registry.tenants.update(tenant, { token_quota: null });
      assert.equal((await token(server, a)).status, 200);
    });

    test('failed authentications and refused requests do not consume quota', async () => {
      const machine = await seedMachineClient(server, { tenant: freshTenant() });
      await server.registry.clients.update(machine.clientId, { token_quota: '2/h' });
      for (let i = 0; i < 3; i += 1) {
        assert.equal((await token(server, { ...machine, clientSecret: 'wrong' })).status, 401);
      }
      const badScope = await postForm(`${server.url}/token`, { ...grant, scope: 'delete:everything' }, machine);
      assert.equal(badScope.status, 400);
      assert.deepEqual([(await token(server, machine)).status, (await token(server, machine)).status, (await token(server, machine)).status], [200, 200, 429]);
    });
  });
}

describe('token quotas switched off', () => {
  test('TOLLGATE_RATE_LIMITS=off issues past any quota', async () => {
    const server = await startTestServer('sqlite', { env: { TOLLGATE_RATE_LIMITS: 'off' } });
    try {
      const machine = await seedMachineClient(server);
      await server.registry.clients.update(machine.clientId, { token_quota: '1/h' });
      for (let i = 0; i < 3; i += 1) {
        const issued = await token(server, machine);
        assert.equal(issued.status, 200);
        assert.equal(issued.headers.get('ratelimit-limit'), null);
      }
    } finally {
      await server.stop();
    }
  });
});

describe('token quotas shared through Redis', { skip: REDIS_SKIP }, () => {
  test('two instances issue one quota between them', async () => {
    const env = limitsOn({ REDIS_URL: REDIS_URL! });
    const a = await startTestServer('sqlite', { env });
    const b = await startTestServer('sqlite', { env, sharing: a });
    try {
      // Fresh tenant and client ids per run keep counters from earlier runs out of the way.
      const tenant = freshTenant();
      const first = await seedMachineClient(a, { tenant });
      const second = await seedMachineClient(a, { tenant });
      await a.registry.clients.update(first.clientId, { token_quota: '3/h' });
      await a.registry.tenants.update(tenant, { token_quota: '5/h' });
      // b caches clients for up to 1 s: wait until it sees the quotas.
      for (const { clientId } of [first, second]) {
        await eventually(async () => {
          const seen = await b.registry.clients.find(clientId);
          assert.equal(seen?.tenantTokenQuota, '5/h');
          if (clientId === first.clientId) assert.equal(seen?.tokenQuota, '3/h');
        });
      }

      const client = [a, b, a].map((server) => token(server, first));
      assert.deepEqual((await Promise.all(client)).map((answer) => answer.status), [200, 200, 200]);
      assert.equal((await token(b, first)).status, 429, 'the client quota is used up on every instance');

      assert.equal((await token(b, second)).status, 200);
      assert.equal((await token(a, second)).status, 200);
      const overTenant = await token(b, second);
      assert.equal(overTenant.status, 429, 'five tokens for the tenant across both instances');
      assert.match(String(overTenant.body['error_description']), /tenant/);
    } finally {
      await b.stop();
      await a.stop();
    }
  });
});
