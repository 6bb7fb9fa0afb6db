import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { closedPort, eventually } from '../helpers/server.js';
import { logEntries, spawnServe, waitUntilReady, type ServeProcess } from '../helpers/serve-process.js';
import { startRelay } from '../helpers/tcp-relay.js';

const POSTGRES_URL = process.env['TEST_DATABASE_URL'];
const POSTGRES_SKIP = POSTGRES_URL ? false : 'PostgreSQL start-up suite skipped: TEST_DATABASE_URL is not set';

let dataDir: string;
before(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'tollgate-start-up-'));
});
after(() => rmSync(dataDir, { recursive: true, force: true }));

const baseEnv = async (databaseUrl: string, extra: Record<string, string> = {}) => ({
  HOST: '127.0.0.1',
  PORT: '0',
  DATABASE_URL: databaseUrl,
  TOLLGATE_DATA_DIR: dataDir,
  TOLLGATE_SECRET: randomBytes(32).toString('base64url'),
  ...extra,
});

/** Waits for the exit (at most `withinMs`), then returns the code and the `tollgate:` lines. */
async function failedStart(serve: ServeProcess, withinMs = 20_000): Promise<{ code: unknown; refusals: string[] }> {
  const code = await Promise.race([serve.exited, new Promise((resolve) => setTimeout(() => resolve('still running'), withinMs))]);
  await serve.stop(1_000);
  return { code, refusals: serve.lines.filter((line) => line.startsWith('tollgate: ')) };
}

/** No stack trace anywhere in the output: not as lines of its own, not inside a JSON log line. */
function assertNoStack(lines: readonly string[]) {
  for (const line of lines) assert.doesNotMatch(line, /^\s+at |\\n\s+at /, `a stack in: ${line}`);
}

describe('start-up errors are one line naming what to fix', () => {
  test('a SQLite path that cannot be opened names the path', { timeout: 30_000 }, async () => {
    const directory = join(dataDir, 'a-directory');
    mkdirSync(directory);
    const serve = spawnServe(await baseEnv(`sqlite:${directory}`));
    const { code, refusals } = await failedStart(serve);
    assert.equal(code, 1);
    // The file is created private before SQLite opens it, so the operating system's refusal is the one reported.
    assert.deepEqual(refusals, [`tollgate: cannot open the SQLite database ${directory}: EISDIR: illegal operation on a directory, open '${directory}' (EISDIR)`]);
    assertNoStack(serve.lines);
  });

  test('a SQLite path below a file names the path', { timeout: 30_000 }, async () => {
    const file = join(dataDir, 'a-file');
    writeFileSync(file, '');
    const serve = spawnServe(await baseEnv(`sqlite:${file}/tollgate.sqlite`));
    const { code, refusals } = await failedStart(serve);
    assert.equal(code, 1);
    assert.equal(refusals.length, 1, serve.lines.join('\n'));
    assert.ok(refusals[0]!.startsWith(`tollgate: cannot open the SQLite database ${file}/tollgate.sqlite: `), refusals[0]);
    assertNoStack(serve.lines);
  });

  test('a port in use names the port and the address', { timeout: 30_000 }, async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', () => resolve()));
    const port = (taken.address() as { port: number }).port;
    try {
      const serve = spawnServe({ ...(await baseEnv(`sqlite:${join(dataDir, 'port.sqlite')}`)), PORT: String(port) });
      const { code, refusals } = await failedStart(serve);
      assert.equal(code, 1);
      assert.deepEqual(refusals, [`tollgate: port ${port} on 127.0.0.1 is already in use (EADDRINUSE): stop what listens there or change PORT`]);
      assertNoStack(serve.lines);
    } finally {
      taken.close();
    }
  });
});

test('with LOG_LEVEL=debug the underlying error and its stack follow the line', { timeout: 30_000 }, async () => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', () => resolve()));
  const port = (taken.address() as { port: number }).port;
  try {
    const serve = spawnServe({ ...(await baseEnv(`sqlite:${join(dataDir, 'debug.sqlite')}`)), PORT: String(port), LOG_LEVEL: 'debug' });
    const { code, refusals } = await failedStart(serve);
    assert.equal(code, 1);
    assert.equal(refusals.length, 1);
    const after = serve.lines.slice(serve.lines.indexOf(refusals[0]!) + 1);
    assert.ok(after.some((line) => line.includes('EADDRINUSE')), after.join('\n'));
    assert.ok(after.some((line) => /^\s+at /.test(line)), 'the stack is printed');
  } finally {
    taken.close();
  }
});

describe('PostgreSQL not reachable at start', { skip: POSTGRES_SKIP }, () => {
  let database: TestDatabase;
  before(async () => {
    database = await createTestDatabase('postgres');
  });
  after(() => database?.drop());

  test('retries with back-off, one line per retry, and gives up after TOLLGATE_DATABASE_START_TIMEOUT naming host:port', { timeout: 30_000 }, async () => {
    const port = await closedPort();
    const started = Date.now();
    const serve = spawnServe(await baseEnv(`postgres://postgres@127.0.0.1:${port}/tollgate`, { TOLLGATE_DATABASE_START_TIMEOUT: '2' }));
    const { code, refusals } = await failedStart(serve);
    assert.equal(code, 1);
    assert.ok(Date.now() - started >= 2_000, 'waited for the start timeout');
    const retries = logEntries(serve.lines).filter((entry) => String(entry['message']).startsWith('database not reachable'));
    assert.deepEqual(
      retries.map((entry) => entry['message']),
      [`database not reachable at 127.0.0.1:${port}, retrying in 1 s`, `database not reachable at 127.0.0.1:${port}, retrying in 1 s`],
    );
    assert.equal(refusals.length, 1, serve.lines.join('\n'));
    assert.match(refusals[0]!, new RegExp(`^tollgate: database not reachable at 127\\.0\\.0\\.1:${port} after 2 s \\(connect ECONNREFUSED`));
    assertNoStack(serve.lines);
  });

  test('a database that comes up while start-up waits: the server starts', { timeout: 60_000 }, async () => {
    const relay = await startRelay(new URL(POSTGRES_URL!), 5432);
    await relay.cut();
    const viaRelay = new URL(database.url);
    viaRelay.hostname = '127.0.0.1';
    viaRelay.port = String(relay.port);
    const serve = spawnServe(await baseEnv(viaRelay.toString(), { TOLLGATE_DATABASE_START_TIMEOUT: '30', LOG_LEVEL: 'info' }));
    try {
      await eventually(async () => assert.ok(serve.lines.some((line) => line.includes(`database not reachable at 127.0.0.1:${relay.port}, retrying in`))), 10_000);
      await relay.restore();
      await waitUntilReady(serve);
      // The address it really listens on, not a loopback URL it does not restrict itself to.
      const listening = serve.lines.find((line) => line.includes('"tollgate listening"'));
      assert.match(listening ?? '', /"address":"127\.0\.0\.1, port \d+"/);
      assertNoStack(serve.lines);
    } finally {
      await serve.stop(5_000);
      await relay.cut();
    }
  });
});
