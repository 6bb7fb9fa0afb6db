import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sendRaw } from '../fuzz/raw-http.js';
import { eventually, startTestServer, type TestServer } from '../helpers/server.js';
import { adminSession, type AdminSession } from './fixture.js';

/**
 * A client that announces a body and hangs up before sending all of it
 * caused the failure, not the server: found by the fuzz test, where it was
 * logged as an error and counted as a 500.
 */
describe('a request body cut off by the client', () => {
  const logLines: string[] = [];
  let server: TestServer;
  let admin: AdminSession;
  before(async () => {
    server = await startTestServer('sqlite', { logLines });
    admin = await adminSession(server);
  });
  after(() => server?.stop());

  test('is logged as the client hanging up (499, nginx\'s code), not a 500, and no error line', async () => {
    const port = Number(new URL(server.adminUrl).port);
    const outcome = await sendRaw(
      port,
      {
        method: 'POST',
        target: '/admin/v1/tenants',
        headers: [['Authorization', `Bearer ${admin.token}`], ['Content-Type', 'application/json']],
        body: Buffer.from('{"slug":"cut'),
        framing: 'short',
      },
      5_000,
    );
    assert.notEqual(outcome.kind, 'timeout');
    const line = await eventually(async () => {
      const found = logLines.find((entry) => entry.includes('"path":"/admin/v1/tenants"') && entry.includes('"method":"POST"'));
      assert.ok(found, 'the request was logged');
      return found;
    });
    assert.equal(JSON.parse(line).status, 499);
    assert.deepEqual(logLines.filter((entry) => /"level":"error"/.test(entry)), []);
  });
});
