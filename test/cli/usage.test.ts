import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { runCli } from '../helpers/cli.js';

// None of these opens a database: help, the version and usage errors come first.
const tollgate = (...args: string[]) => runCli({}, args);
const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

describe('the tollgate command line', () => {
  test('--version and -V print the package version', async () => {
    for (const flag of ['--version', '-V']) {
      assert.deepEqual(await tollgate(flag), { stdout: `${version}\n`, stderr: '', code: 0 });
    }
  });

  test('--help lists every command with its summary; no command at all is a usage error', async () => {
    const help = await tollgate('--help');
    assert.equal(help.code, 0);
    for (const command of ['serve', 'tenants create', 'clients list', 'keys rotate', 'api-keys rotate', 'audit tail']) {
      assert.match(help.stdout, new RegExp(`^  ${command} +\\S`, 'm'), command);
    }
    assert.match(help.stdout, /--version/);
    assert.equal((await tollgate()).code, 2);
  });

  test('each command has its own help: usage, arguments, its options only, examples', async () => {
    const help = await tollgate('tenants', 'create', '--help');
    assert.equal(help.code, 0);
    assert.equal(help.stderr, '');
    assert.match(help.stdout, /^  tollgate tenants create <slug> \[options\]$/m);
    assert.match(help.stdout, /^  <slug> +lowercase letters, digits and hyphens/m);
    assert.match(help.stdout, /^  --token-quota <count>\/<unit>\|none +tokens/m);
    assert.match(help.stdout, /^examples:\n  tollgate tenants create acme/m);
    assert.doesNotMatch(help.stdout, /--scopes|--redirect-uri/);

    const keys = await tollgate('keys', 'list', '-h');
    assert.equal(keys.code, 0);
    assert.doesNotMatch(keys.stdout, /--tenant|--scopes/);
  });

  test('clients create lists app sign-in options apart from client authentication, DPoP and token exchange', async () => {
    const { stdout } = await tollgate('clients', 'create', '--help');
    const section = (heading: string) => stdout.split(`\n${heading}:\n`)[1]!.split('\n\n')[0]!;
    const options = (heading: string) => [...section(heading).matchAll(/^  (--[a-z-]+)/gm)].map((match) => match[1]);
    assert.deepEqual(options('apps that sign users in'), ['--grant', '--redirect-uri', '--post-logout-redirect-uri', '--public']);
    assert.deepEqual(options('client authentication'), ['--auth', '--jwks-uri', '--jwks-file']);
    assert.deepEqual(options('sender-constrained tokens'), ['--dpop-bound']);
    assert.deepEqual(options('token exchange (RFC 8693)'), ['--exchange-audience', '--exchange-scope']);
  });

  test('a group on its own lists its commands', async () => {
    const group = await tollgate('clients', '--help');
    assert.equal(group.code, 0);
    assert.match(group.stdout, /^  clients rotate-secret +\S/m);
    assert.doesNotMatch(group.stdout, /tenants create/);
  });

  test('an unknown option is one line with the nearest option of that command', async () => {
    const typo = await tollgate('clients', 'create', '--nmae', 'x');
    assert.equal(typo.code, 2);
    assert.equal(typo.stdout, '');
    assert.equal(typo.stderr, 'tollgate: clients create has no option --nmae; did you mean --name? (tollgate clients create --help shows its options)\n');
  });

  test('an option of another command is refused', async () => {
    const refused = await tollgate('keys', 'list', '--scopes', 'x');
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /^tollgate: keys list has no option --scopes/);
    assert.equal(refused.stderr.trim().split('\n').length, 1);
  });

  test('an unknown command suggests the nearest one', async () => {
    const typo = await tollgate('clients', 'lst');
    assert.equal(typo.code, 2);
    assert.equal(typo.stderr, 'tollgate: unknown command "clients lst"; did you mean clients list?\n');
    assert.match((await tollgate('tenant', 'list')).stderr, /did you mean tenants list\?/);
    assert.match((await tollgate('serv')).stderr, /^tollgate: unknown command "serv"; did you mean serve\?/);
    const early = await tollgate('--json', 'tenants', 'list');
    assert.equal(early.code, 2);
    assert.match(early.stderr, /^tollgate: --json goes after the command/);
  });

  test('required options and arguments, an option without its value, and extra arguments are usage errors', async () => {
    const cases: [string[], RegExp][] = [
      [['users', 'create', '--tenant', 'acme'], /^tollgate: --email is required \(tollgate users create --help/],
      [['clients', 'show'], /^tollgate: <client_id> is required/],
      [['tenants', 'create', 'acme', '--name'], /^tollgate: --name needs a value/],
      [['tenants', 'list', 'extra'], /^tollgate: unexpected argument "extra"/],
    ];
    for (const [args, message] of cases) {
      const result = await tollgate(...args);
      assert.equal(result.code, 2, args.join(' '));
      assert.match(result.stderr, message);
      assert.equal(result.stderr.trim().split('\n').length, 1);
    }
  });

  test('an error is one line, in words; LOG_LEVEL=debug adds the stack', async () => {
    const plain = await runCli({ DATABASE_URL: 'mysql://db' }, ['tenants', 'list']);
    assert.deepEqual(plain, {
      stdout: '',
      stderr: 'tollgate: invalid configuration: DATABASE_URL must begin with sqlite:, postgres://, postgresql:// or cockroachdb://\n',
      code: 1,
    });
    const debug = await runCli({ DATABASE_URL: 'mysql://db', LOG_LEVEL: 'debug' }, ['tenants', 'list']);
    assert.equal(debug.code, 1);
    assert.match(debug.stderr, /^tollgate: invalid configuration: DATABASE_URL must begin with sqlite:.*\nConfigError: .*\n +at loadConfig /);
  });
});
