import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { API, seedMachineClient, startTestServer } from '../helpers/server.js';
import { adminRequest, adminSession } from './fixture.js';

describe('the admin API keeps tokens, the secrets and passwords it hands out, and password hashes out of logs and audit rows', () => {
  test('creates, rotations and refusals at debug level', async () => {
    const logLines: string[] = [];
    const server = await startTestServer('sqlite', { logLines });
    try {
      await seedMachineClient(server);
      const admin = await adminSession(server);
      const secrets = [admin.token, admin.clientSecret];
      const client = await admin.call('POST', '/clients', { name: 'job', tenant: 'acme', resources: [API], scopes: ['read:projects'] }, { 'idempotency-key': 'k1' });
      assert.equal(client.status, 201);
      const rotated = await admin.call('POST', `/clients/${String(client.body['client_id'])}/rotate-secret`);
      const key = await admin.call('POST', '/api-keys', { tenant: 'acme', name: 'k', scopes: [] });
      const user = await admin.call('POST', '/users', { tenant: 'acme', email: 'ada@acme.test' }, { 'idempotency-key': 'u1' });
      assert.equal(user.status, 201);
      await admin.call('POST', `/users/${String(user.body['id'])}/disable`);
      secrets.push(String(client.body['client_secret']), String(rotated.body['client_secret']), String(key.body['key']), String(user.body['password']));
      assert.equal((await adminRequest(server, 'GET', '/clients', { token: `${admin.token}tampered` })).status, 401);
      secrets.push(`${admin.token}tampered`);

      await server.audit.settled();
      const auditRows = JSON.stringify(await server.database.knex('audit_events').select('*'));
      const idempotencyRows = JSON.stringify(await server.database.knex('admin_idempotency_keys').select('*'));
      assert.ok(logLines.some((line) => line.includes('/admin/v1/clients')), 'admin requests are logged');
      for (const text of [logLines.join('\n'), auditRows, idempotencyRows]) {
        for (const secret of secrets) assert.ok(!text.includes(secret), 'a token or secret reached the logs, audit or idempotency rows');
        assert.doesNotMatch(text, /authorization|bearer |tg_live_|argon2/i);
      }
    } finally {
      await server.stop();
    }
  });
});
