import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));
const launcher = join(root, 'bin', 'tollgate.js');

describe('the tollgate command', { timeout: 60_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-launcher-'));
  const env = { ...process.env, TOLLGATE_DATA_DIR: dataDir, DATABASE_URL: '' };
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  test('the bin package.json names is tracked executable outside dist/, so a rebuild cannot take its execute bit', async () => {
    const { bin } = (await import(join(root, 'package.json'), { with: { type: 'json' } })).default as { bin: Record<string, string> };
    assert.equal(bin['tollgate'], 'bin/tollgate.js');
    assert.ok(statSync(launcher).mode & 0o100, 'bin/tollgate.js is executable');
    const { stdout } = await run(launcher, ['--help'], { env });
    assert.match(stdout, /usage: tollgate/);
  });

  test('`npx tollgate` works from a subdirectory of the project, as the README runs it', async () => {
    const { version } = (await import(join(root, 'package.json'), { with: { type: 'json' } })).default as { version: string };
    const { stdout } = await run('npx', ['--no-install', 'tollgate', '--version'], { env, cwd: join(root, 'test') });
    assert.equal(stdout, `${version}\n`);
  });

  test('a command names the default database on stderr, and says when it creates a new one', async () => {
    const first = await run(launcher, ['tenants', 'create', 'launcher-acme', '--name', 'Acme', '--json'], { env, cwd: root });
    assert.match(first.stderr, new RegExp(`no database at ${join(dataDir, 'tollgate.sqlite')} yet: creating a new, empty one`));
    assert.equal(JSON.parse(first.stdout).slug, 'launcher-acme');
    // From another directory: the same database, found without a word about creating one.
    const elsewhere = mkdtempSync(join(tmpdir(), 'tollgate-cwd-'));
    try {
      const listed = await run(launcher, ['tenants', 'list', '--json'], { env, cwd: elsewhere });
      assert.match(listed.stderr, new RegExp(`using ${join(dataDir, 'tollgate.sqlite')} \\(DATABASE_URL is not set\\)`));
      assert.ok((JSON.parse(listed.stdout) as { slug: string }[]).some((tenant) => tenant.slug === 'launcher-acme'));
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  test('a database given explicitly is not announced', async () => {
    const { stderr } = await run(launcher, ['tenants', 'list', '--json'], { env: { ...env, DATABASE_URL: `sqlite:${join(dataDir, 'explicit.sqlite')}` } });
    assert.equal(stderr, '');
  });
});

describe('the .env file', { timeout: 30_000 }, () => {
  test('is read from the project root under what the environment sets', async () => {
    // A copy of the launcher beside a stand-in CLI that prints what it was given.
    const project = mkdtempSync(join(tmpdir(), 'tollgate-dotenv-'));
    try {
      mkdirSync(join(project, 'bin'));
      mkdirSync(join(project, 'dist', 'src', 'cli'), { recursive: true });
      copyFileSync(launcher, join(project, 'bin', 'tollgate.js'));
      writeFileSync(join(project, 'package.json'), '{"type":"module"}');
      writeFileSync(join(project, 'dist', 'src', 'cli', 'entry.js'), 'console.log(JSON.stringify([process.env.FROM_FILE, process.env.BOTH]));');
      writeFileSync(join(project, '.env'), 'FROM_FILE=file\nBOTH=file\n');
      const { stdout } = await run(process.execPath, [join(project, 'bin', 'tollgate.js')], { env: { ...process.env, BOTH: 'environment' }, cwd: tmpdir() });
      assert.deepEqual(JSON.parse(stdout), ['file', 'environment']);
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });
});
