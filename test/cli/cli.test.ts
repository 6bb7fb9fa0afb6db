import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { cliFor, runCli } from '../helpers/cli.js';
import { databaseVariants } from '../helpers/databases.js';
import { eventually, postForm, startTestServer, type TestServer } from '../helpers/server.js';

for (const variant of databaseVariants) {
  describe(`the tollgate CLI against a running server (${variant.kind})`, { skip: variant.skip }, () => {
    let server: TestServer;

    before(async () => {
      server = await startTestServer(variant.kind);
    });
    after(() => server?.stop());
    const { tollgate, json } = cliFor(() => server);

    test('the README walk-through: tenant, resource, client, then a token from the running server', async () => {
      await json('tenants', 'create', 'acme', '--name', 'Acme Corp');
      await json('resources', 'create', 'https://api.acme.test', '--scopes', 'read:projects write:projects', '--tenant', 'acme');
      const client = await json('clients', 'create', '--name', 'billing-job', '--tenant', 'acme',
        '--resource', 'https://api.acme.test', '--scopes', 'read:projects write:projects', '--roles', 'reader');
      assert.match(String(client['client_id']), /^[0-9a-f-]{36}$/);
      assert.ok(String(client['client_secret']).length >= 43);
      assert.equal(client['secretHash'], undefined);

      const credentials = { clientId: String(client['client_id']), clientSecret: String(client['client_secret']) };
      const token = await postForm(`${server.url}/token`, { grant_type: 'client_credentials', scope: 'read:projects', resource: 'https://api.acme.test' }, credentials);
      assert.equal(token.status, 200, JSON.stringify(token.body));

      const listed = await json('clients', 'list', '--tenant', 'acme');
      assert.equal(listed.length, 1);
      // The auth method (`client_secret_basic`) may be listed; a secret or its hash never.
      assert.doesNotMatch(JSON.stringify(listed), /argon2|"client_secret"|secretHash/);

      const disabled = await json('clients', 'disable', credentials.clientId);
      assert.equal(disabled['enabled'], false);
      // Another process changed the client: the server must see it within 2 s.
      await eventually(async () => {
        const refused = await postForm(`${server.url}/token`, { grant_type: 'client_credentials' }, credentials);
        assert.equal(refused.status, 401);
      });
      await json('clients', 'enable', credentials.clientId);
      await eventually(async () => {
        const accepted = await postForm(`${server.url}/token`, { grant_type: 'client_credentials' }, credentials);
        assert.equal(accepted.status, 200);
      });

      const rotated = await json('clients', 'rotate-secret', credentials.clientId);
      assert.notEqual(rotated['client_secret'], credentials.clientSecret);
      const revoked = await json('clients', 'revoke-tokens', credentials.clientId);
      assert.equal(revoked['token_version'], 1);

      const keys = await json('keys', 'list');
      assert.deepEqual(keys.map((key) => key['state']).sort(), ['active', 'next']);
      assert.doesNotMatch(JSON.stringify(keys), /"d"|sealed/);

      const events = await json('audit', 'list', '--type', 'client.');
      assert.deepEqual(
        events.map((event) => [event['type'], event['subject'], event['actor']]),
        ['client.tokens_revoked', 'client.secret_rotated', 'client.enabled', 'client.disabled', 'client.created'].map((type) => [type, credentials.clientId, 'cli']),
      );
      assert.doesNotMatch(JSON.stringify(events), new RegExp(String(rotated['client_secret'])));
    });

    test('keys rotate refuses a next key verifiers may not have yet, and revoke is audited', async () => {
      const early = await tollgate('keys', 'rotate');
      assert.equal(early.code, 1);
      // Human units, not milliseconds: the key is seconds old and may sign in about an hour.
      assert.match(early.stderr, /^tollgate: next key \S+ was published (under 1 s|\d+ s|\d+ min( \d+ s)?) ago; verifiers may not have fetched it yet: it may be promoted in \d+ (h|min)( \d+ (min|s))?\n$/);

      const before = await json('keys', 'list');
      const next = String(before.find((key) => key['state'] === 'next')!['kid']);
      const revoked = await json('keys', 'revoke', next);
      assert.equal(revoked['revoked'], next);
      const [event] = await json('audit', 'list', '--type', 'key.revoked');
      assert.equal(event!['subject'], next);
      // The server polls the key table: the revoked key leaves /jwks within 10 s.
      await eventually(async () => {
        const jwks = (await (await fetch(`${server.url}/jwks`)).json()) as { keys: { kid: string }[] };
        assert.ok(!jwks.keys.some((key) => key.kid === next));
      }, 10_000);
    });

    test('--fields prints only the named values, tab-separated, for shell scripts', async () => {
      const created = await tollgate('clients', 'create', '--name', 'fields-job', '--tenant', 'acme',
        '--resource', 'https://api.acme.test', '--scopes', 'read:projects', '--fields', 'client_id,client_secret');
      assert.equal(created.code, 0, created.stderr);
      const [clientId, clientSecret, ...rest] = created.stdout.trimEnd().split('\t');
      assert.match(clientId!, /^[0-9a-f-]{36}$/);
      assert.ok(clientSecret!.length >= 43);
      assert.deepEqual(rest, []);

      const listed = await tollgate('tenants', 'list', '--fields', 'slug');
      assert.equal(listed.stdout, 'acme\n');

      const unknown = await tollgate('tenants', 'list', '--fields', 'nope');
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /^tollgate: --fields: no field "nope" \(fields: .*slug/);
    });

    test('errors are one clear line and a non-zero exit', async () => {
      const missingTenant = await tollgate('clients', 'create', '--name', 'x', '--tenant', 'nope', '--resource', 'https://api.acme.test', '--scopes', 'read:projects');
      assert.equal(missingTenant.code, 1);
      assert.equal(missingTenant.stderr.trim(), 'tollgate: tenant nope does not exist');

      const duplicate = await tollgate('tenants', 'create', 'acme');
      assert.equal(duplicate.code, 1);
      assert.match(duplicate.stderr, /^tollgate: tenant acme already exists\n$/);

      // A command line that does not fit is a usage error: exit 2.
      const unknownOption = await tollgate('tenants', 'list', '--colour');
      assert.equal(unknownOption.code, 2);
      assert.match(unknownOption.stderr, /^tollgate: tenants list has no option --colour/);
      assert.equal(unknownOption.stderr.trim().split('\n').length, 1);

      const unknownClient = await tollgate('clients', 'disable', 'no-such-client');
      assert.equal(unknownClient.code, 1);
      assert.match(unknownClient.stderr, /client no-such-client does not exist/);

      const badScope = await tollgate('resources', 'create', 'https://x.test', '--scopes', 'bad"scope');
      assert.equal(badScope.code, 1);
      assert.match(badScope.stderr, /scopes/);
      assert.doesNotMatch(badScope.stderr, /pattern|\^|\\x/);

      // Patterns are said in words, not as regular expressions.
      const badSlug = await tollgate('tenants', 'create', 'Bad_Slug');
      assert.equal(badSlug.code, 1);
      assert.equal(badSlug.stderr, 'tollgate: slug must be 1 to 64 lowercase letters, digits and hyphens, beginning and ending with a letter or digit (acme, acme-eu)\n');
    });

    test('a --tenant filter of a list names an existing tenant', async () => {
      for (const list of [['clients', 'list'], ['users', 'list'], ['api-keys', 'list'], ['resources', 'list'], ['audit', 'list']]) {
        const result = await tollgate(...list, '--tenant', 'nope');
        assert.equal(result.code, 1, list.join(' '));
        assert.equal(result.stdout, '');
        assert.equal(result.stderr, 'tollgate: tenant nope does not exist\n', list.join(' '));
      }
    });

    test('lists are a narrow table for people; --json has every field, named in snake_case only', async () => {
      const table = await tollgate('clients', 'list', '--tenant', 'acme');
      assert.equal(table.code, 0, table.stderr);
      const [header, ...rows] = table.stdout.trimEnd().split('\n');
      assert.deepEqual(header!.split(/\s+/), ['client_id', 'name', 'tenant', 'enabled', 'auth', 'scopes']);
      assert.ok(rows.length >= 1);
      for (const line of [header!, ...rows]) assert.ok(line.length <= 120, `${line.length} characters: ${line}`);
      assert.match(table.stdout, /billing-job +acme +true +client_secret_basic +read:projects write:projects/);

      const [listed] = await json('clients', 'list', '--tenant', 'acme');
      const shown = await json('clients', 'show', String(listed!['client_id']));
      for (const result of [listed!, shown]) {
        for (const name of Object.keys(result)) assert.match(name, /^[a-z0-9_]+$/, name);
        assert.equal(result['client_id'], listed!['client_id']);
        assert.equal(typeof result['token_version'], 'number');
        assert.ok(Array.isArray(result['introspect_audiences']));
      }
    });

    test('audit tail --follow prints new events until its signal is aborted', async () => {
      const stop = new AbortController();
      const lines: string[] = [];
      let seen: () => void = () => undefined;
      const tail = runCli(server.env, ['audit', 'tail', '--follow', '--type', 'tenant.created', '--json'], {
        signal: stop.signal,
        onStdout: (text) => {
          lines.push(text);
          if (text.includes('"tail-tenant"')) seen();
        },
      });
      const created = new Promise<void>((resolve) => (seen = resolve));
      await json('tenants', 'create', 'tail-tenant');
      await created;
      stop.abort();
      const result = await tail;
      assert.equal(result.code, 0);
      const events = result.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      assert.equal(events.at(-1)?.['subject'], 'tail-tenant');
      assert.ok(events.every((event) => event['type'] === 'tenant.created'));
      assert.ok('tenant_id' in events.at(-1)!);
    });
  });
}
