import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { databaseVariants } from '../helpers/databases.js';
import { postForm, seedMachineClient, startTestServer } from '../helpers/server.js';
import { samplesOf, scrape, valueOf } from './exposition.js';

for (const variant of databaseVariants) {
  describe(`metrics at a real server (${variant.kind})`, { skip: variant.skip }, () => {
    test('counts issued tokens per client, refusals per reason, 429s per policy, and times each route', async () => {
      const server = await startTestServer(variant.kind, {
        env: { TOLLGATE_RATE_LIMITS: 'on', TOLLGATE_RATE_LIMIT_AUTH_FAILURES: '2/min' },
      });
      try {
        const machine = await seedMachineClient(server);
        type Credentials = { clientId: string; clientSecret: string };
        const token = (credentials: Credentials = machine) => postForm(`${server.url}/token`, { grant_type: 'client_credentials' }, credentials);
        const wrongSecret = `wrong-${randomBytes(12).toString('hex')}`;
        const unknownClientId = `attacker-${randomBytes(6).toString('hex')}`;

        const issued = [await token(), await token()];
        for (const response of issued) assert.equal(response.status, 200);
        assert.equal((await token({ ...machine, clientSecret: wrongSecret })).status, 401);
        assert.equal((await token({ ...machine, clientSecret: wrongSecret })).status, 401);
        const limited = await token({ ...machine, clientSecret: wrongSecret });
        assert.equal(limited.status, 429);
        assert.equal((await token({ clientId: unknownClientId, clientSecret: wrongSecret })).status, 401);
        const accessToken = String(issued[0]!.body['access_token']);
        const introspect = (credentials: Credentials) => postForm(`${server.url}/token/introspection`, { token: accessToken }, credentials);
        // The machine client is locked out now; a second client makes the introspection calls.
        const other = await seedMachineClient(server);
        assert.equal((await introspect({ ...other, clientSecret: wrongSecret })).status, 401);
        assert.equal((await introspect(other)).status, 200);
        assert.equal((await fetch(`${server.url}/no-such-path-${randomBytes(4).toString('hex')}`)).status, 404);

        const { status, contentType, text, samples } = await scrape(server.url);
        assert.equal(status, 200);
        assert.match(contentType ?? '', /^text\/plain; version=0\.0\.4/);

        assert.equal(
          valueOf(samples, 'tollgate_tokens_issued_total', { client_id: machine.clientId, tenant_id: machine.tenantId, grant_type: 'client_credentials' }),
          2,
        );
        assert.equal(samplesOf(samples, 'tollgate_tokens_issued_total').length, 1, 'one series: one client was issued tokens');
        // Two wrong secrets for a known id and one for an unknown id; the 429 never reached the provider.
        assert.equal(valueOf(samples, 'tollgate_client_auth_failures_total', { endpoint: 'token', reason: 'invalid_client' }), 3);
        assert.equal(valueOf(samples, 'tollgate_client_auth_failures_total', { endpoint: 'introspection', reason: 'invalid_client' }), 1);
        assert.equal(valueOf(samples, 'tollgate_rate_limited_total', { policy: 'auth_failures' }), 1);
        assert.equal(samplesOf(samples, 'tollgate_rate_limited_total').length, 1);
        assert.equal(valueOf(samples, 'tollgate_token_requests_total', { endpoint: 'token', outcome: 'success' }), 2);
        assert.equal(valueOf(samples, 'tollgate_token_requests_total', { endpoint: 'token', outcome: 'refused' }), 3);
        assert.equal(valueOf(samples, 'tollgate_token_requests_total', { endpoint: 'introspection', outcome: 'success' }), 1);
        assert.equal(valueOf(samples, 'tollgate_token_requests_total', { endpoint: 'introspection', outcome: 'refused' }), 1);

        const requests = (route: string, status: string, method = 'POST') =>
          valueOf(samples, 'tollgate_http_request_duration_seconds_count', { method, route, status });
        assert.equal(requests('/token', '200'), 2);
        assert.equal(requests('/token', '401'), 3);
        assert.equal(requests('/token', '429'), 1);
        assert.equal(requests('/token/introspection', '200'), 1);
        assert.equal(requests('other', '404', 'GET'), 1, 'unknown paths share one label');
        assert.ok(!text.includes('no-such-path'), 'a path the caller made up is no label');

        const [activeKey] = (await server.keyStore.list()).filter((key) => key.state === 'active');
        const age = valueOf(samples, 'tollgate_signing_key_age_seconds', { kid: activeKey!.kid });
        assert.ok(age !== undefined && age >= 0 && age < 600, `signing key age ${age}`);
        assert.equal(samplesOf(samples, 'tollgate_signing_key_age_seconds').length, 1);

        const pool = Object.fromEntries(['used', 'free', 'pending'].map((state) => [state, valueOf(samples, 'tollgate_db_pool_connections', { state })]));
        for (const [state, value] of Object.entries(pool)) assert.ok(Number.isInteger(value) && value! >= 0, `${state} connections: ${value}`);
        if (variant.kind === 'sqlite') assert.ok(pool['used']! + pool['free']! <= 1, 'SQLite runs on one connection');
        assert.ok(samplesOf(samples, 'process_cpu_user_seconds_total').length === 1, 'process metrics are included');

        // The client ids an attacker sent, and every secret or token, stay out.
        for (const secret of [machine.clientSecret, other.clientSecret, wrongSecret, unknownClientId, accessToken, server.env['TOLLGATE_SECRET']!]) {
          assert.ok(!text.includes(secret), 'a secret, token or attacker-chosen id reached /metrics');
        }
      } finally {
        await server.stop();
      }
    });
  });
}

describe('metrics of one server are its own', () => {
  test('two servers in one process count separately, and TOLLGATE_METRICS=off removes /metrics', async () => {
    const a = await startTestServer('sqlite');
    const b = await startTestServer('sqlite', { env: { TOLLGATE_METRICS: 'off' } });
    try {
      const machine = await seedMachineClient(a);
      assert.equal((await postForm(`${a.url}/token`, { grant_type: 'client_credentials' }, machine)).status, 200);
      const fresh = await startTestServer('sqlite');
      try {
        const { samples } = await scrape(fresh.url);
        assert.deepEqual(samplesOf(samples, 'tollgate_tokens_issued_total'), []);
      } finally {
        await fresh.stop();
      }
      const { samples } = await scrape(a.url);
      assert.equal(valueOf(samples, 'tollgate_tokens_issued_total', { client_id: machine.clientId, tenant_id: machine.tenantId, grant_type: 'client_credentials' }), 1);
      const off = await fetch(`${b.url}/metrics`);
      assert.equal(off.status, 404);
      assert.equal(((await off.json()) as { error: string }).error, 'not_found');
    } finally {
      await b.stop();
      await a.stop();
    }
  });
});
