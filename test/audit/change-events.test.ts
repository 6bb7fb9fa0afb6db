import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { cliFor } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('registry changes in the audit log: actor, and before/after without secrets', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer('sqlite');
  });
  after(() => server?.stop());
  const { json } = cliFor(() => server);
  const events = (type: string) => json('audit', 'list', '--type', type) as Promise<Record<string, unknown>[]>;

  test('creating a tenant, a resource server and a client records what was created', async () => {
    await json('tenants', 'create', 'globex', '--name', 'Globex', '--token-quota', '100/h');
    await json('resources', 'create', 'https://api.globex.test', '--scopes', 'read:things write:things', '--tenant', 'globex');
    const client = await json('clients', 'create', '--name', 'sync', '--tenant', 'globex', '--resource', 'https://api.globex.test',
      '--scopes', 'read:things', '--roles', 'syncer');

    const [tenant] = await events('tenant.created');
    assert.equal(tenant?.['actor'], 'cli');
    assert.deepEqual(tenant?.['detail'], { slug: 'globex', name: 'Globex', token_quota: '100/h' });
    const [resource] = await events('resource.created');
    assert.equal(resource?.['subject'], 'https://api.globex.test');
    assert.equal((resource?.['detail'] as Record<string, unknown>)['scopes'], 'read:things write:things');
    // The owner is recorded (issue 16.6): globex's id, not a global resource server.
    const globex = (await json('tenants', 'list')).find((tenant) => tenant['slug'] === 'globex');
    assert.equal((resource?.['detail'] as Record<string, unknown>)['tenant_id'], globex?.['id']);
    const [created] = await events('client.created');
    assert.equal(created?.['subject'], client['client_id']);
    assert.equal((created?.['detail'] as Record<string, unknown>)['scopes'], 'read:things');
    assert.equal((created?.['detail'] as Record<string, unknown>)['roles'], 'syncer');

    const everything = JSON.stringify(await json('audit', 'list', '--limit', '1000'));
    assert.ok(!everything.includes(String(client['client_secret'])), 'no client secret');
    assert.doesNotMatch(everything, /argon2|secretHash|secret_hash/);
  });

  test('changes record only the fields they changed, before and after', async () => {
    const client = await json('clients', 'create', '--name', 'job', '--tenant', 'globex', '--resource', 'https://api.globex.test', '--scopes', 'read:things');
    const id = String(client['client_id']);
    await json('clients', 'disable', id);
    await json('clients', 'update', id, '--token-quota', '10/min');
    await json('clients', 'revoke-tokens', id);
    await json('tenants', 'update', 'globex', '--token-quota', 'none');

    const [disabled] = await events('client.disabled');
    assert.deepEqual(disabled?.['detail'], { 'enabled.before': true, 'enabled.after': false });
    const [updated] = await events('client.updated');
    assert.deepEqual(updated?.['detail'], { 'token_quota.before': null, 'token_quota.after': '10/min' });
    const [revoked] = await events('client.tokens_revoked');
    assert.deepEqual(revoked?.['detail'], { 'token_version.before': 0, 'token_version.after': 1 });
    const [tenant] = await events('tenant.updated');
    assert.deepEqual(tenant?.['detail'], { 'token_quota.before': '100/h', 'token_quota.after': null });
  });
});
