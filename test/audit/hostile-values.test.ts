import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import type { StoredAuditEvent } from '../../src/audit/audit-log.js';
import { adminSession, type AdminSession } from '../admin/fixture.js';
import { cliFor } from '../helpers/cli.js';
import { databaseVariants } from '../helpers/databases.js';
import { postForm, seedMachineClient, startTestServer, type MachineClient, type TestServer } from '../helpers/server.js';

/**
 * What an attacker puts into every field that ends up in the audit log:
 * NUL (PostgreSQL refuses it in text), lone UTF-16 surrogates (not valid
 * UTF-8), terminal control sequences, and values far past any column
 * (64 KiB, more than a form body may hold; 50 KiB, just within it).
 */
const HOSTILE: Readonly<Record<string, string>> = {
  nul: 'a\u0000b',
  'high surrogate': 'a\ud800b',
  'low surrogate': '\udc00z',
  'control characters': 'a\r\n\u001b[2J\u0085b',
  '64 KiB': 'x'.repeat(64 * 1024),
  '50 KiB with NUL': `${'y\u0000'.repeat(25 * 1024)}`,
};

/** Nothing a database could refuse, nothing that rewrites a terminal. */
const UNCLEAN = /[\u0000-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const grant = { grant_type: 'client_credentials' };

/**
 * Percent-encoding as an attacker writes it: a lone surrogate as the three
 * bytes UTF-8 would give it (ED A0 80 …), which encodeURIComponent and
 * URLSearchParams refuse or replace.
 */
function percentEncoded(value: string): string {
  let encoded = '';
  for (let i = 0; i < value.length; i += 1) {
    const unit = value.charCodeAt(i);
    const pair = unit >= 0xd800 && unit <= 0xdbff && (value.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
    if (unit >= 0xd800 && unit <= 0xdfff && !pair) {
      encoded += [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)].map((byte) => `%${byte.toString(16).toUpperCase()}`).join('');
    } else {
      const character = pair ? value.slice(i, i + 2) : value[i]!;
      if (pair) i += 1;
      encoded += encodeURIComponent(character);
    }
  }
  return encoded;
}

/** A form POST whose body and Basic credentials are sent exactly as given (already percent-encoded). */
async function postRaw(url: string, body: string, basic?: string): Promise<{ status: number }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(basic ? { authorization: `Basic ${Buffer.from(basic, 'latin1').toString('base64')}` } : {}),
    },
    body,
  });
  await response.arrayBuffer();
  return { status: response.status };
}

for (const variant of databaseVariants) {
  describe(`hostile values in every audited field do not stop the audit log (${variant.kind})`, { skip: variant.skip, timeout: 180_000 }, () => {
    let server: TestServer;
    let machine: MachineClient;
    let admin: AdminSession;
    before(async () => {
      server = await startTestServer(variant.kind);
      machine = await seedMachineClient(server);
      admin = await adminSession(server);
    });
    after(() => server?.stop());

    /** A legitimate token issued now has its token.issued row (matched by jti). */
    async function laterEventIsWritten(label: string): Promise<void> {
      const issued = await postForm(`${server.url}/token`, grant, machine);
      assert.equal(issued.status, 200, `${label}: ${JSON.stringify(issued.body)}`);
      const { jti } = decodeJwt(String(issued.body['access_token']));
      await server.auditBatches.flush();
      const events = await server.audit.list({ type: 'token.issued', subject: machine.clientId, limit: 5 });
      assert.ok(events.some((event) => event.detail?.['jti'] === jti), `${label}: the token issued afterwards has its event`);
    }

    async function allEvents(): Promise<StoredAuditEvent[]> {
      await server.auditBatches.flush();
      return server.audit.list({ limit: 1000 });
    }

    for (const [name, value] of Object.entries(HOSTILE)) {
      test(`${name}: as the client id (form and Basic), the grant type and an introspecting client id`, async () => {
        const hostile = percentEncoded(value);
        const own = `${encodeURIComponent(machine.clientId)}:${encodeURIComponent(machine.clientSecret)}`;
        const attempts: [string, () => Promise<{ status: number }>][] = [
          ['client_id in the form', () => postRaw(`${server.url}/token`, `grant_type=client_credentials&client_id=${hostile}&client_secret=x`)],
          ['client id in Basic', () => postRaw(`${server.url}/token`, 'grant_type=client_credentials', `${hostile}:x`)],
          ['grant_type', () => postRaw(`${server.url}/token`, `grant_type=${hostile}`, own)],
          ['introspecting client id', () => postRaw(`${server.url}/token/introspection`, 'token=x', `${hostile}:x`)],
          ['revoking client id', () => postRaw(`${server.url}/token/revocation`, `token=x&client_id=${hostile}&client_secret=x`)],
        ];
        for (const [field, attempt] of attempts) {
          const { status } = await attempt();
          assert.ok(status >= 400 && status < 500, `${field}: refused as a client error, got ${status}`);
          await laterEventIsWritten(`${name} in ${field}`);
        }
      });
    }

    test('the refusals themselves were recorded, cleaned: no NUL, no lone surrogate, no control character, columns within their length', async () => {
      const events = await allEvents();
      const refusals = events.filter((event) => event.type === 'token.refused' || event.type === 'client.authentication_failed');
      assert.ok(refusals.some((event) => event.actor === 'a\uFFFDb'), 'the NUL client id, with NUL replaced');
      assert.ok(refusals.some((event) => event.detail?.['grant_type'] === 'a\uFFFDb'), 'the NUL grant type, with NUL replaced');
      for (const event of events) {
        assert.doesNotMatch(JSON.stringify([event.actor, event.subject, event.tenantId]), /\\u0000/);
        assert.doesNotMatch(`${event.actor}${event.subject ?? ''}${JSON.stringify(event.detail)}`, UNCLEAN, `${event.type} ${event.id}`);
        assert.ok(event.actor.length <= 200 && (event.subject ?? '').length <= 200);
      }
      assert.equal(events.filter((event) => event.type === 'audit.row_rejected').length, 0, 'cleaning leaves nothing for the database to refuse');
    });

    test('admin API and CLI changes with hostile names are recorded cleaned, and later events still written', async () => {
      const names = ['\ud800 lone', 'ctl\u0001\u001b[2J\u009b', `${'é'.repeat(199)}\ud83d`, HOSTILE['64 KiB']!];
      for (const [index, name] of names.entries()) {
        const response = await admin.call('POST', '/tenants', { slug: `hostile-${index}`, name });
        // Over the body limit: 413; a lone surrogate cannot be stored: 400; the rest is created, cleaned in the event.
        const expected = Buffer.byteLength(name) > 56 * 1024 ? 413 : /\p{Surrogate}/u.test(name) ? 400 : 201;
        assert.equal(response.status, expected, `admin API: ${response.status} ${JSON.stringify(response.body)}`);
        await laterEventIsWritten(`admin API tenant name #${index}`);
      }
      const { json } = cliFor(() => server);
      await json('tenants', 'create', 'hostile-cli', '--name', `cli\u001b[31m\u0007${'z'.repeat(150)}`);
      await laterEventIsWritten('CLI tenant name');

      const created = (await allEvents()).filter((event) => event.type === 'tenant.created');
      const recorded = created.map((event) => String(event.detail?.['name']));
      // A lone surrogate cannot be stored at all: the admin API refuses it (400) before any change or event.
      assert.ok(!created.some((event) => event.subject === 'hostile-0' || event.subject === 'hostile-2'));
      assert.ok(recorded.includes('ctl\uFFFD\uFFFD[2J\uFFFD'));
      assert.ok(recorded.includes(`cli\uFFFD[31m\uFFFD${'z'.repeat(150)}`));
      for (const event of created) assert.doesNotMatch(JSON.stringify(event.detail), UNCLEAN);
    });
  });
}
