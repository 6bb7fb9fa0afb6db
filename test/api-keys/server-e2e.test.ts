import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createVerifier } from '@tollgate/resource-server';
import { cliFor } from '../helpers/cli.js';
import { databaseVariants } from '../helpers/databases.js';
import { API, eventually, postForm, seedMachineClient, startTestServer, type MachineClient, type TestServer } from '../helpers/server.js';

for (const variant of databaseVariants) {
  describe(`API keys end to end: CLI, introspection, resource-server package (${variant.kind})`, { skip: variant.skip }, () => {
    let server: TestServer;
    /** The resource service's own client, used to call introspection. */
    let resourceService: MachineClient;

    before(async () => {
      server = await startTestServer(variant.kind);
      resourceService = await seedMachineClient(server, { scopes: [], introspectAudiences: [API] });
    });
    after(() => server?.stop());

    const { json: tollgate } = cliFor(() => server);
    const introspect = (token: string, hint?: string) =>
      postForm(`${server.url}/token/introspection`, { token, ...(hint ? { token_type_hint: hint } : {}) }, resourceService);

    test('create → introspect active with tenant and scopes; the key is shown once and never listed', async () => {
      const created = await tollgate('api-keys', 'create', '--tenant', 'acme', '--resource', API, '--name', 'partner-x', '--scopes', 'read:projects', '--expires-in', '90d');
      const key = String(created['key']);
      assert.match(key, /^tg_live_[A-Za-z0-9]+_[A-Za-z0-9]+$/);
      const expiresAt = Date.parse(String(created['expires_at']));
      assert.ok(Math.abs(expiresAt - (Date.now() + 90 * 86_400_000)) < 60_000);

      for (const hint of ['api_key', undefined]) {
        const { status, body } = await introspect(key, hint);
        assert.equal(status, 200);
        assert.equal(body['active'], true);
        assert.equal(body['token_type'], 'api_key');
        assert.equal(body['sub'], created['id']);
        assert.equal(body['tenant'], 'acme');
        assert.equal(body['scope'], 'read:projects');
        assert.equal(body['exp'], Math.floor(expiresAt / 1000));
      }

      const listed = await tollgate('api-keys', 'list', '--tenant', 'acme');
      assert.ok(listed.some((row) => row['id'] === created['id']));
      assert.doesNotMatch(JSON.stringify(listed), /tg_live_|argon2/);
      const [row] = await server.database.knex('api_keys').where({ id: created['id'] });
      assert.doesNotMatch(JSON.stringify(row), new RegExp(key.split('_')[3]!.slice(0, 20)));
    });

    test('revoke takes effect at the server; malformed, typo\'d and unknown keys are inactive', async () => {
      const created = await tollgate('api-keys', 'create', '--tenant', 'acme', '--resource', API, '--name', 'to-revoke', '--scopes', 'read:projects');
      const key = String(created['key']);
      assert.equal((await introspect(key)).body['active'], true);
      await tollgate('api-keys', 'revoke', String(created['id']));
      await eventually(async () => assert.deepEqual((await introspect(key)).body, { active: false }));

      const typo = `${key.slice(0, 20)}${key[20] === 'a' ? 'b' : 'a'}${key.slice(21)}`;
      for (const bad of [typo, key.slice(0, -3), 'tg_live_nope', `tg_live_${'A'.repeat(22)}_${'B'.repeat(49)}`]) {
        assert.deepEqual((await introspect(bad, 'api_key')).body, { active: false });
      }
      const events = await tollgate('audit', 'list', '--type', 'api_key.');
      const trail = events
        .filter((event) => event['subject'] === created['id'])
        .map((event) => [event['type'], (event['detail'] as Record<string, unknown> | null)?.['reason'] ?? null]);
      // The revoked key's use is on record; junk keys (no known id) write nothing.
      assert.deepEqual(trail, [['api_key.verification_failed', 'revoked'], ['api_key.revoked', null], ['api_key.created', null]]);
      assert.equal(events.filter((event) => event['type'] === 'api_key.verification_failed').length, 1);
      assert.doesNotMatch(JSON.stringify(events), /tg_live_/);
    });

    test('rotate with an overlap: old and new both work; --expires-in never has no exp', async () => {
      const created = await tollgate('api-keys', 'create', '--tenant', 'acme', '--resource', API, '--name', 'rotating', '--scopes', 'read:projects', '--expires-in', 'never');
      assert.equal(created['expires_at'], null);
      assert.equal((await introspect(String(created['key']))).body['exp'], undefined);
      const rotated = await tollgate('api-keys', 'rotate', String(created['id']), '--overlap', '7d');
      assert.notEqual(rotated['id'], created['id']);
      assert.equal((await introspect(String(rotated['key']))).body['active'], true);
      const old = await eventually(async () => {
        const { body } = await introspect(String(created['key']));
        assert.equal(body['active'], true);
        assert.ok(Math.abs(Number(body['exp']) - (Date.now() / 1000 + 7 * 86_400)) < 120, `old key exp ${String(body['exp'])}`);
        return body;
      });
      assert.equal(old['sub'], created['id']);
    });

    test('@tollgate/resource-server verifies API keys through introspection', async () => {
      const created = await tollgate('api-keys', 'create', '--tenant', 'acme', '--resource', API, '--name', 'via-package', '--scopes', 'read:projects write:projects');
      const verifier = createVerifier({
        issuer: server.issuer,
        audience: 'https://api.acme.test',
        introspection: { clientId: resourceService.clientId, clientSecret: resourceService.clientSecret, cacheTtl: 1, negativeCacheTtl: 1 },
      });
      const principal = await verifier.verify({ apiKey: String(created['key']) });
      assert.equal(principal.type, 'api_key');
      assert.equal(principal.subject, created['id']);
      assert.equal(principal.tenant, 'acme');
      assert.deepEqual(principal.scopes, ['read:projects', 'write:projects']);

      await tollgate('api-keys', 'revoke', String(created['id']));
      await eventually(async () => {
        await assert.rejects(verifier.verify({ apiKey: String(created['key']) }), { code: 'ERR_INVALID_API_KEY' });
      }, 4_000);
    });
  });
}
