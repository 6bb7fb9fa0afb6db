import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TollgateError } from '../../src/errors.js';
import { cliFor } from '../helpers/cli.js';
import { databaseVariants } from '../helpers/databases.js';
import { API, seedMachineClient, startTestServer, type TestServer } from '../helpers/server.js';
import { clientKey } from '../proof-of-possession/key-clients.js';
import { adminSession, type AdminSession } from './fixture.js';

/** Text PostgreSQL refuses (NUL; a lone high or low surrogate), as JSON escapes so the bytes on the wire are valid UTF-8. */
const UNSTORABLE = [
  ['NUL', 'a\\u0000b'],
  ['a lone high surrogate', 'a\\ud800b'],
  ['a lone low surrogate', 'a\\udc00b'],
] as const;

const isInvalidRequest = (error: unknown) => error instanceof TollgateError && error.status === 400 && error.error === 'invalid_request' && /NUL character or an unpaired surrogate/.test(error.message);

for (const variant of databaseVariants) {
  describe(`text a database cannot store is refused with 400, never 500 (${variant.kind})`, { skip: variant.skip }, () => {
    let server: TestServer;
    let admin: AdminSession;
    let dir: string;
    before(async () => {
      server = await startTestServer(variant.kind);
      await seedMachineClient(server);
      admin = await adminSession(server);
      dir = mkdtempSync(join(tmpdir(), 'tollgate-unstorable-'));
    });
    after(async () => {
      rmSync(dir, { recursive: true, force: true });
      await server?.stop();
    });
    const { tollgate } = cliFor(() => server);

    const bodies = (text: string) => ({
      '/clients': `{"name":"${text}","tenant":"acme","resources":["${API}"],"scopes":["read:projects"]}`,
      '/api-keys': `{"name":"${text}","tenant":"acme","scopes":["read:projects"]}`,
      '/users': `{"email":"${text}@acme.test","tenant":"acme"}`,
      '/tenants': `{"slug":"globex","name":"${text}"}`,
    });

    test('admin API: a client name, an API-key name, a user email or a tenant name holding NUL or a lone surrogate → 400 invalid_request', async () => {
      for (const [label, text] of UNSTORABLE) {
        for (const [path, body] of Object.entries(bodies(text))) {
          const response = await admin.call('POST', path, body);
          assert.equal(response.status, 400, `${path} with ${label}: ${JSON.stringify(response.body)}`);
          assert.equal(response.body['error'], 'invalid_request');
          assert.match(String(response.body['error_description']), /NUL character or an unpaired surrogate/);
        }
      }
      // A member name is text too.
      const keyed = await admin.call('POST', '/tenants', '{"slug":"globex","name":"Globex","a\\u0000":1}');
      assert.equal(keyed.status, 400);
      assert.equal(await server.database.knex('tenants').where({ slug: 'globex' }).first(), undefined);
    });

    test('a path or query naming an object with NUL or a lone surrogate: 404 or 400, never 500', async () => {
      for (const text of ['a%00b', 'a%ED%A0%80b', 'a%C0%80b']) {
        for (const path of [`/tenants/${text}`, `/clients/${text}`, `/users/${text}`, `/api-keys/${text}`, `/clients?tenant=${text}`, `/audit-events?client=${text}`]) {
          const response = await admin.call('GET', path);
          assert.ok([400, 404].includes(response.status), `${path}: ${response.status} ${JSON.stringify(response.body)}`);
        }
      }
    });

    test('the services the CLI calls refuse the same values before any query', async () => {
      for (const [label, escaped] of UNSTORABLE) {
        const text = JSON.parse(`"${escaped}"`) as string;
        await assert.rejects(server.registry.clients.create({ name: text, tenant: 'acme', resources: [API], scopes: ['read:projects'] }), isInvalidRequest, label);
        await assert.rejects(server.apiKeys.keys.create({ name: text, tenant: 'acme', resources: [API], scopes: ['read:projects'], createdBy: 'cli' }), isInvalidRequest, label);
        await assert.rejects(server.registry.tenants.create({ slug: 'initech', name: text }), isInvalidRequest, label);
      }
    });

    test('tollgate clients create with a NUL in a --jwks-file key exits non-zero and says why', async () => {
      const { publicJwk } = await clientKey();
      const file = join(dir, 'jwks.json');
      writeFileSync(file, JSON.stringify({ keys: [{ ...publicJwk, kid: 'a\u0000b' }] }));
      const result = await tollgate('clients', 'create', '--name', 'signer', '--tenant', 'acme', '--resource', API, '--scopes', 'read:projects', '--auth', 'private_key_jwt', '--jwks-file', file);
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, /jwks\.keys\.0\.kid holds a NUL character or an unpaired surrogate/);
    });

    test('JSON nested 27 000 levels deep: 400 invalid_request, read no further; 16 levels is still parsed', async () => {
      for (const deep of ['['.repeat(27_000) + ']'.repeat(27_000), `{"a":${'{"a":'.repeat(8_000)}1${'}'.repeat(8_001)}`]) {
        const response = await admin.call('POST', '/tenants', deep);
        assert.equal(response.status, 400, deep.slice(0, 20));
        assert.equal(response.body['error'], 'invalid_request');
      }
      const nested = await admin.call('POST', '/tenants', `{"slug":"deep","name":"Deep","x":${'['.repeat(15)}${']'.repeat(15)}}`);
      assert.equal(nested.status, 400);
      assert.match(String(nested.body['error_description']), /x is not a recognised field/);
      // Brackets inside strings are text, not nesting.
      const bracketed = await admin.call('POST', '/tenants', { slug: 'brackets', name: `${'['.repeat(100)}` });
      assert.equal(bracketed.status, 201, JSON.stringify(bracketed.body));
    });
  });
}
