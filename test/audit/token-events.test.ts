import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import type { StoredAuditEvent } from '../../src/audit/audit-log.js';
import { databaseVariants } from '../helpers/databases.js';
import { postForm, seedMachineClient, startTestServer, type TestServer } from '../helpers/server.js';

const grant = { grant_type: 'client_credentials' };
const cliPath = fileURLToPath(new URL('../../src/cli/entry.js', import.meta.url));

async function tokenEvents(server: TestServer, subject?: string): Promise<StoredAuditEvent[]> {
  await server.auditBatches.flush();
  return server.audit.list({ type: 'token.', ...(subject ? { subject } : {}) });
}

for (const variant of databaseVariants) {
  describe(`token issued / refused in the audit log (${variant.kind})`, { skip: variant.skip }, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer(variant.kind);
    });
    after(() => server?.stop());

    test('an issued token: client, tenant, address and grant type, and no secret or token', async () => {
      const machine = await seedMachineClient(server);
      const issued = await postForm(`${server.url}/token`, grant, machine, { 'x-request-id': 'req-audit-1' });
      assert.equal(issued.status, 200);
      // Written before the answer: no flush needed to find it.
      const [event, ...rest] = await server.audit.list({ type: 'token.', subject: machine.clientId });
      assert.equal(rest.length, 0);
      assert.equal(event?.type, 'token.issued');
      assert.equal(event?.actor, machine.clientId);
      assert.equal(event?.tenantId, machine.tenantId);
      const { jti } = decodeJwt(String(issued.body['access_token']));
      assert.deepEqual(event?.detail, { ip: '127.0.0.1', grant_type: 'client_credentials', request_id: 'req-audit-1', jti });
      const stored = JSON.stringify(await server.audit.list({ limit: 1000 }));
      assert.ok(!stored.includes(machine.clientSecret), 'no client secret in audit rows');
      assert.ok(!stored.includes(String(issued.body['access_token'])), 'no token in audit rows');
    });

    test('an opaque token is never recorded: its id is the token, so its event has no jti', async () => {
      await server.registry.resources.create({ audience: 'https://opaque-audit.acme.test', scopes: ['ping'], token_format: 'opaque', shared_with: ['*'] });
      const opaque = await seedMachineClient(server, { resources: ['https://opaque-audit.acme.test'], scopes: ['ping'] });
      const issued = await postForm(`${server.url}/token`, { ...grant, scope: 'ping' }, opaque);
      assert.equal(issued.status, 200);
      const token = String(issued.body['access_token']);
      assert.equal(token.split('.').length, 1, 'an opaque token');
      const [event] = await server.audit.list({ type: 'token.issued', subject: opaque.clientId });
      assert.equal(event?.detail?.['jti'], undefined);
      assert.ok(!JSON.stringify(await server.audit.list({ limit: 1000 })).includes(token));
    });

    test('refusals carry the OAuth error and Tollgate\'s reason: wrong secret, address not allowed, bad scope, unknown client', async () => {
      const machine = await seedMachineClient(server);
      const fenced = await seedMachineClient(server, { ipAllowlist: ['10.0.0.0/8'] });
      assert.equal((await postForm(`${server.url}/token`, grant, { ...machine, clientSecret: 'wrong-secret-value' })).status, 401);
      assert.equal((await postForm(`${server.url}/token`, grant, fenced)).status, 401);
      assert.equal((await postForm(`${server.url}/token`, { ...grant, scope: 'delete:everything' }, machine)).status, 400);
      assert.equal((await postForm(`${server.url}/token`, grant, { clientId: 'no-such-client', clientSecret: 'x' })).status, 401);

      const refusals = (await tokenEvents(server)).filter((event) => event.type === 'token.refused');
      const byClient = (clientId: string) => refusals.filter((event) => event.subject === clientId).map((event) => event.detail);
      assert.deepEqual(
        byClient(machine.clientId).map((detail) => [detail?.['status'], detail?.['error'], detail?.['reason']]).sort(),
        [[400, 'invalid_scope', 'invalid_scope'], [401, 'invalid_client', 'invalid_client']],
      );
      assert.deepEqual(byClient(fenced.clientId).map((detail) => [detail?.['error'], detail?.['reason']]), [['invalid_client', 'ip_not_allowed']]);
      const unknown = refusals.find((event) => event.subject === 'no-such-client');
      assert.equal(unknown?.tenantId, null, 'an unauthenticated caller is not attributed to a tenant');
      assert.ok(!JSON.stringify(refusals).includes('wrong-secret-value'));
    });

    test('no token without its event: while the audit table cannot be written the token endpoint answers 503 with Retry-After', async () => {
      const machine = await seedMachineClient(server);
      const { knex } = server.database;
      await knex.schema.renameTable('audit_events', 'audit_events_away');
      let during: Awaited<ReturnType<typeof postForm>>;
      try {
        during = await postForm(`${server.url}/token`, grant, machine);
      } finally {
        await knex.schema.renameTable('audit_events_away', 'audit_events');
      }
      assert.equal(during.status, 503);
      assert.equal(during.headers.get('retry-after'), '5');
      assert.equal(during.body['error'], 'temporarily_unavailable');
      assert.equal(during.body['access_token'], undefined, 'the token is not handed out');
      const after = await postForm(`${server.url}/token`, grant, machine);
      assert.equal(after.status, 200);
      const events = await server.audit.list({ type: 'token.issued', subject: machine.clientId });
      assert.deepEqual(events.map((event) => event.detail?.['jti']), [decodeJwt(String(after.body['access_token'])).jti]);
    });

    test('failed authentication at introspection is recorded as client.authentication_failed', async () => {
      const machine = await seedMachineClient(server);
      const response = await postForm(`${server.url}/token/introspection`, { token: 'x' }, { ...machine, clientSecret: 'nope' });
      assert.equal(response.status, 401);
      await server.auditBatches.flush();
      const [event] = await server.audit.list({ type: 'client.authentication_failed', subject: machine.clientId });
      assert.equal(event?.detail?.['endpoint'], 'introspection');
    });

    test('failed authentication at pushed authorization requests (any spelling) is recorded as client.authentication_failed', async () => {
      const machine = await seedMachineClient(server);
      const response = await postForm(`${server.url}/Request/`, { response_type: 'code', redirect_uri: 'https://app.test/cb' }, { ...machine, clientSecret: 'nope' });
      assert.equal(response.status, 401);
      await server.auditBatches.flush();
      const [event] = await server.audit.list({ type: 'client.authentication_failed', subject: machine.clientId });
      assert.equal(event?.detail?.['endpoint'], 'pushed_authorization_request');
    });

    test('`tollgate audit tail --follow --client <id> --json` prints events as they are written', async () => {
      const machine = await seedMachineClient(server);
      // An event in the backlog: its line shows the CLI has read the backlog and is following.
      assert.equal((await postForm(`${server.url}/token`, grant, { ...machine, clientSecret: 'wrong-secret-value' })).status, 401);
      const tail = spawn(process.execPath, [cliPath, 'audit', 'tail', '--follow', '--client', machine.clientId, '--json'], {
        env: { ...process.env, ...server.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      try {
        const lines = createInterface({ input: tail.stdout })[Symbol.asyncIterator]();
        const nextEvent = async () => {
          const next = await Promise.race([
            lines.next(),
            new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no event within 10 s')), 10_000)),
          ]);
          return JSON.parse(String(next.value)) as StoredAuditEvent;
        };
        assert.equal((await nextEvent()).type, 'token.refused');
        assert.equal((await postForm(`${server.url}/token`, grant, machine)).status, 200);
        const event = await nextEvent();
        assert.equal(event.type, 'token.issued');
        assert.equal(event.subject, machine.clientId);
      } finally {
        tail.kill('SIGINT');
        const [code] = await once(tail, 'exit');
        assert.equal(code, 0, 'Ctrl-C ends tail --follow cleanly');
      }
    });
  });
}

describe('TOLLGATE_AUDIT_TOKEN_EVENTS', () => {
  for (const [mode, expected] of [['refused', ['token.refused']], ['off', []]] as const) {
    test(`${mode}: ${expected.length ? 'only refusals are recorded' : 'no token events are recorded'}`, async () => {
      const server = await startTestServer('sqlite', { env: { TOLLGATE_AUDIT_TOKEN_EVENTS: mode } });
      try {
        const machine = await seedMachineClient(server);
        assert.equal((await postForm(`${server.url}/token`, grant, machine)).status, 200);
        assert.equal((await postForm(`${server.url}/token`, grant, { ...machine, clientSecret: 'wrong' })).status, 401);
        assert.deepEqual((await tokenEvents(server)).map((event) => event.type), expected);
      } finally {
        await server.stop();
      }
    });
  }
});
