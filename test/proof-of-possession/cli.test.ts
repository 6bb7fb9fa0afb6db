import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as oauth from 'oauth4webapi';
import { cliFor } from '../helpers/cli.js';
import { databaseVariants } from '../helpers/databases.js';
import { API, REPORTS_API, seedMachineClient, startTestServer, type TestServer } from '../helpers/server.js';
import { clientKey, discover, insecure } from './key-clients.js';

for (const variant of databaseVariants) {
  describe(`tollgate clients create with stronger credentials (${variant.kind})`, { skip: variant.skip }, () => {
    let server: TestServer;
    let dir: string;
    before(async () => {
      server = await startTestServer(variant.kind);
      await seedMachineClient(server);
      dir = mkdtempSync(join(tmpdir(), 'tollgate-jwks-'));
    });
    after(async () => {
      rmSync(dir, { recursive: true, force: true });
      await server?.stop();
    });
    const { tollgate, json } = cliFor(() => server);

    test('--auth private_key_jwt --jwks-file: no secret is shown, and the key authenticates at /token', async () => {
      const key = await clientKey();
      const file = join(dir, 'jwks.json');
      writeFileSync(file, JSON.stringify({ keys: [key.publicJwk] }));
      const created = await json('clients', 'create', '--name', 'signer', '--tenant', 'acme', '--resource', API, '--scopes', 'read:projects',
        '--auth', 'private_key_jwt', '--jwks-file', file, '--dpop-bound');
      assert.equal(created['client_secret'], undefined);
      assert.equal(created['token_endpoint_auth_method'], 'private_key_jwt');
      assert.equal(created['dpop_bound_access_tokens'], true);

      const as = await discover(server);
      const client: oauth.Client = { client_id: String(created['client_id']) };
      const dpop = oauth.DPoP({}, await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']));
      const response = await oauth.clientCredentialsGrantRequest(as, client, key.auth, new URLSearchParams({ resource: API }), { ...insecure, DPoP: dpop });
      assert.equal((await oauth.processClientCredentialsResponse(as, client, response)).token_type, 'dpop');

      const [event] = await json('audit', 'list', '--type', 'client.created', '--client', String(created['client_id']));
      assert.equal((event?.['detail'] as Record<string, unknown>)['token_endpoint_auth_method'], 'private_key_jwt');
    });

    test('--exchange-audience and --exchange-scope store the token-exchange policy', async () => {
      const created = await json('clients', 'create', '--name', 'relay', '--tenant', 'acme', '--resource', API, '--scopes', 'read:projects',
        '--exchange-audience', REPORTS_API, '--exchange-scope', 'read:reports');
      assert.deepEqual(created['token_exchange'], { audiences: [REPORTS_API], scopes: ['read:reports'] });
      assert.ok(String(created['client_secret']).length >= 43, 'a secret client still gets its secret');
    });

    test('bad combinations are refused with a message naming the problem', async () => {
      const missing = await tollgate('clients', 'create', '--name', 'x', '--tenant', 'acme', '--resource', API, '--scopes', 'read:projects', '--auth', 'private_key_jwt');
      assert.notEqual(missing.code, 0);
      assert.match(missing.stderr, /exactly one of jwks and jwks_uri/);
      const unknownMethod = await tollgate('clients', 'create', '--name', 'x', '--tenant', 'acme', '--resource', API, '--scopes', 'read:projects', '--auth', 'client_secret_jwt');
      assert.match(unknownMethod.stderr, /--auth must be one of/);
      const badScope = await tollgate('clients', 'create', '--name', 'x', '--tenant', 'acme', '--resource', API, '--scopes', 'read:projects',
        '--exchange-audience', REPORTS_API, '--exchange-scope', 'write:projects');
      assert.match(badScope.stderr, /token_exchange scope write:projects is not offered/);
    });
  });
}
