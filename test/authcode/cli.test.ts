import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as oidc from 'openid-client';
import { cliFor, runCli } from '../helpers/cli.js';
import { databaseVariants } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { publicClientConfig, signInAndConsent, startAuthorization } from './fixture.js';

/** Runs the CLI with `input` on stdin (`--password-stdin`), as `printf … | tollgate …` would. */
const tollgateWithStdin = (env: Record<string, string>, input: string, ...args: string[]) => runCli(env, args, { stdin: input });

const REDIRECT = 'http://127.0.0.1:9/callback';

for (const { kind, skip } of databaseVariants) {
  describe(`tollgate users and app clients (${kind})`, { skip }, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer(kind);
    });
    after(() => server?.stop());
    const { tollgate, json } = cliFor(() => server);

    test('the README walk-through: a public app client and a user made with the CLI can sign in', async () => {
      await json('tenants', 'create', 'acme', '--name', 'Acme Corp');
      await json('resources', 'create', 'https://api.acme.test', '--scopes', 'read:projects', '--tenant', 'acme');
      const app = await json('clients', 'create', '--grant', 'authorization_code', '--public', '--name', 'acme-mobile', '--tenant', 'acme',
        '--resource', 'https://api.acme.test', '--scopes', 'read:projects', '--redirect-uri', REDIRECT);
      assert.equal(app['token_endpoint_auth_method'], 'none');
      assert.equal(app['client_secret'], undefined, 'a public client has no secret');
      assert.deepEqual(app['redirect_uris'], [REDIRECT]);

      const created = await tollgateWithStdin(server.env, 'a long enough password\n', 'users', 'create', '--tenant', 'acme', '--email', 'Ada@Acme.test', '--roles', 'editor', '--password-stdin', '--json');
      assert.equal(created.code, 0, created.stderr);
      const user = JSON.parse(created.stdout) as Record<string, unknown>;
      assert.equal(user['email'], 'ada@acme.test');
      assert.equal(user['password'], undefined, 'a password given on stdin is not echoed');
      assert.doesNotMatch(created.stdout, /argon2|passwordHash/);

      const config = await publicClientConfig(server, String(app['client_id']));
      const start = await startAuthorization(config, REDIRECT);
      const callback = await signInAndConsent(server, start, { email: 'ada@acme.test', password: 'a long enough password' });
      const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
      assert.equal(tokens.claims()!.sub, user['id']);

      const disabled = await json('users', 'disable', 'ada@acme.test', '--tenant', 'acme');
      assert.equal(disabled['enabled'], false);
      await assert.rejects(signInAndConsent(server, await startAuthorization(config, REDIRECT), { email: 'ada@acme.test', password: 'a long enough password' }), /got 401/);
      const audit = await json('audit', 'list', '--type', 'user.');
      assert.deepEqual(audit.map((event) => event['type']).sort(), ['user.created', 'user.disabled']);
      assert.doesNotMatch(JSON.stringify(audit), /long enough password|argon2/);
    });

    test('users set-password reads the new password from stdin: the old one stops working, the new one signs in, and it is audited without the password', async () => {
      await json('users', 'enable', 'ada@acme.test', '--tenant', 'acme');
      const [app] = (await json('clients', 'list', '--tenant', 'acme')).filter((client) => client['name'] === 'acme-mobile');
      const config = await publicClientConfig(server, String(app!['client_id']));

      const set = await tollgateWithStdin(server.env, 'another long password\n', 'users', 'set-password', 'ada@acme.test', '--tenant', 'acme', '--json');
      assert.equal(set.code, 0, set.stderr);
      assert.doesNotMatch(set.stdout, /another long password|argon2/);
      await assert.rejects(signInAndConsent(server, await startAuthorization(config, REDIRECT), { email: 'ada@acme.test', password: 'a long enough password' }), /got 401/);
      await signInAndConsent(server, await startAuthorization(config, REDIRECT), { email: 'ada@acme.test', password: 'another long password' });

      const [event] = await json('audit', 'list', '--type', 'user.password_set');
      assert.equal(event!['actor'], 'cli');
      assert.doesNotMatch(JSON.stringify(event), /another long password|argon2/);

      const short = await tollgateWithStdin(server.env, 'short\n', 'users', 'set-password', 'ada@acme.test', '--tenant', 'acme');
      assert.equal(short.code, 1);
      assert.match(short.stderr, /password must NOT have fewer than 8 characters/);
    });

    test('without --password-stdin a password is generated and shown once; a confidential client gets a secret', async () => {
      const user = await json('users', 'create', '--tenant', 'acme', '--email', 'grace@acme.test');
      assert.ok(String(user['password']).length >= 43);
      const web = await json('clients', 'create', '--grant', 'authorization_code', '--name', 'acme-web', '--tenant', 'acme',
        '--resource', 'https://api.acme.test', '--scopes', 'read:projects', '--redirect-uri', 'https://app.acme.test/callback');
      assert.equal(web['token_endpoint_auth_method'], 'client_secret_basic');
      assert.ok(String(web['client_secret']).length >= 43);
    });

    test('bad input is one clear line and a non-zero exit', async () => {
      const cases: [string[], RegExp][] = [
        [['clients', 'create', '--grant', 'authorization_code', '--name', 'x', '--tenant', 'acme', '--resource', 'https://api.acme.test', '--scopes', 'read:projects'], /--redirect-uri is required/],
        [['clients', 'create', '--grant', 'authorization_code', '--name', 'x', '--tenant', 'acme', '--resource', 'https://api.acme.test', '--scopes', 'read:projects', '--redirect-uri', 'http://app.acme.test/cb'], /redirect_uri http:\/\/app\.acme\.test\/cb must be https/],
        [['clients', 'create', '--grant', 'implicit', '--name', 'x', '--tenant', 'acme'], /--grant must be client_credentials or authorization_code/],
        [['users', 'create', '--tenant', 'acme', '--email', 'grace@acme.test'], /already exists/],
        [['users', 'create', '--tenant', 'nope', '--email', 'x@acme.test'], /tenant nope does not exist/],
      ];
      for (const [args, message] of cases) {
        const result = await tollgate(...args);
        assert.equal(result.code, 1, args.join(' '));
        assert.match(result.stderr, message);
        assert.equal(result.stderr.trim().split('\n').length, 1);
      }
      const short = await tollgateWithStdin(server.env, 'short\n', 'users', 'create', '--tenant', 'acme', '--email', 'x@acme.test', '--password-stdin');
      assert.equal(short.code, 1);
      assert.match(short.stderr, /password must NOT have fewer than 8 characters/);
    });
  });
}
