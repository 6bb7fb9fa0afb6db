import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { API, postForm, seedMachineClient, startTestServer } from '../helpers/server.js';

describe('logs, audit rows and metrics never carry secrets, tokens, keys or Authorization headers', () => {
  test('a full flow at debug level, successes and failures', async () => {
    const logLines: string[] = [];
    const server = await startTestServer('sqlite', { logLines });
    try {
      const machine = await seedMachineClient(server);
      const secrets: string[] = [machine.clientSecret];

      const token = await postForm(`${server.url}/token?access_token=in-the-query`, { grant_type: 'client_credentials', resource: API, scope: 'read:projects' }, machine);
      assert.equal(token.status, 200);
      const accessToken = String(token.body['access_token']);
      secrets.push(accessToken, 'in-the-query');

      const wrong = await postForm(`${server.url}/token`, { grant_type: 'client_credentials' }, { ...machine, clientSecret: 'wrong-secret-value' });
      assert.equal(wrong.status, 401);
      secrets.push('wrong-secret-value');

      const posted = await postForm(`${server.url}/token`, { grant_type: 'client_credentials', client_id: machine.clientId, client_secret: machine.clientSecret, scope: 'nope' });
      assert.equal(posted.status, 400);

      const { key } = await server.apiKeys.keys.create({ tenant: 'acme', resources: [API], name: 'logged?', scopes: ['read:projects'] });
      secrets.push(key);
      for (const presented of [accessToken, key, `${key.slice(0, -1)}x`, 'garbage']) {
        assert.equal((await postForm(`${server.url}/token/introspection`, { token: presented }, machine)).status, 200);
      }
      await server.audit.settled();
      await server.auditBatches.flush();
      const rows = await server.database.knex('audit_events').select('*');
      assert.ok(rows.some((row: { type: string }) => row.type === 'token.issued'), 'token events are among the rows checked');
      const auditRows = JSON.stringify(rows);
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      assert.match(metrics, /tollgate_tokens_issued_total/);

      const basic = Buffer.from(`${machine.clientId}:${machine.clientSecret}`).toString('base64');
      secrets.push(basic);
      assert.ok(logLines.length >= 7, `expected request logs, got ${logLines.length}`);
      for (const text of [logLines.join('\n'), auditRows, metrics]) {
        for (const secret of secrets) assert.ok(!text.includes(secret), 'a secret value reached the logs or the audit table');
        assert.doesNotMatch(text, /authorization|basic |bearer |tg_live_/i);
      }
    } finally {
      await server.stop();
    }
  });
});
