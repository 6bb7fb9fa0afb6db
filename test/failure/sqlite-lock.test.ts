import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DatabaseInUseError } from '../../adapters/sqlite-process-lock.js';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { spawnServe, waitUntilReady } from '../helpers/serve-process.js';
import { seedMachineClient, startTestServer, type TestServer } from '../helpers/server.js';

/** Another program's connection to the same SQLite file (better-sqlite3 ships no types). */
interface OtherConnection {
  exec(sql: string): void;
  close(): void;
}
const BetterSqlite3 = createRequire(import.meta.url)('better-sqlite3') as new (filename: string) => OtherConnection;

const OPAQUE_API = 'https://opaque.acme.test';
/** TOLLGATE_DATABASE_TIMEOUT for this suite, in seconds. */
const BOUND_SECONDS = 1;
const SLACK_MS = 700;

const fileOf = (url: string) => url.slice('sqlite:'.length);

/**
 * Another connection holds SQLite's write lock (`BEGIN IMMEDIATE`, as a
 * sqlite3 shell or a backup tool might): the server keeps answering at once
 * what needs no write, a request that must write waits for the lock off the
 * event loop and answers 503 with Retry-After once TOLLGATE_DATABASE_TIMEOUT
 * has passed, or succeeds if the lock is released before.
 */
describe('a SQLite write lock held by another connection', { timeout: 60_000 }, () => {
  let server: TestServer;
  let tokenRequest: () => Promise<{ status: number; retryAfter: string | null; ms: number }>;

  before(async () => {
    server = await startTestServer('sqlite', { env: { TOLLGATE_DATABASE_TIMEOUT: String(BOUND_SECONDS) } });
    await server.registry.resources.create({ audience: OPAQUE_API, scopes: ['ping'], token_format: 'opaque', shared_with: ['*'] });
    const machine = await seedMachineClient(server, { resources: [OPAQUE_API], scopes: ['ping'] });
    const basic = Buffer.from(`${machine.clientId}:${machine.clientSecret}`).toString('base64');
    // Opaque tokens are stored: every issuance writes to the database.
    tokenRequest = async () => {
      const started = performance.now();
      const response = await fetch(`${server.url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'ping' }).toString(),
        signal: AbortSignal.timeout(10_000),
      });
      await response.arrayBuffer();
      return { status: response.status, retryAfter: response.headers.get('retry-after'), ms: performance.now() - started };
    };
    assert.equal((await tokenRequest()).status, 200);
  });
  after(() => server?.stop());

  /**
   * Runs `during` while another connection holds the write lock (or, for a
   * baseline, only has the file open), polling /healthz; returns its slowest answer.
   */
  async function polling<T>(lock: boolean, during: (release: () => void) => Promise<T>): Promise<{ result: T; slowestHealthzMs: number }> {
    const other = new BetterSqlite3(fileOf(server.testDatabase.url));
    other.exec(lock ? 'BEGIN IMMEDIATE' : 'BEGIN');
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      other.exec('ROLLBACK');
      other.close();
    };
    let active = true;
    let slowestHealthzMs = 0;
    const poller = (async () => {
      while (active) {
        const started = performance.now();
        const response = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(5_000) });
        assert.equal(response.status, 200);
        await response.arrayBuffer();
        slowestHealthzMs = Math.max(slowestHealthzMs, performance.now() - started);
        await sleep(20);
      }
    })();
    try {
      const result = await during(release);
      return { result, slowestHealthzMs };
    } finally {
      active = false;
      await poller;
      release();
    }
  }

  // The same requests without the lock: on a loaded machine /healthz is
  // slow by itself, and only what the lock adds is the lock's doing.
  let baselineHealthzMs: number;
  before(async () => {
    baselineHealthzMs = (await polling(false, () => tokenRequest())).slowestHealthzMs;
  });

  test('/healthz answers throughout (< 100 ms above its time without the lock), and a write answers 503 with Retry-After within the bound', async (t) => {
    const { result, slowestHealthzMs } = await polling(true, () => tokenRequest());
    t.diagnostic(`503 after ${Math.round(result.ms)} ms; slowest /healthz ${Math.round(slowestHealthzMs)} ms (without the lock: ${Math.round(baselineHealthzMs)} ms)`);
    assert.equal(result.status, 503);
    assert.ok(result.retryAfter, 'a 503 says when to retry');
    assert.ok(result.ms >= BOUND_SECONDS * 1000 * 0.9, `the write waited for the lock (${Math.round(result.ms)} ms)`);
    assert.ok(result.ms < BOUND_SECONDS * 1000 + SLACK_MS, `503 took ${Math.round(result.ms)} ms`);
    assert.ok(slowestHealthzMs < baselineHealthzMs + 100, `/healthz took ${Math.round(slowestHealthzMs)} ms while the lock was held`);
    assert.equal((await tokenRequest()).status, 200, 'served again once the lock is gone');
  });

  test('a write waiting for the lock succeeds when it is released within the bound', async () => {
    const { result, slowestHealthzMs } = await polling(true, async (release) => {
      const answer = tokenRequest();
      await sleep(300);
      release();
      return answer;
    });
    assert.equal(result.status, 200);
    assert.ok(slowestHealthzMs < baselineHealthzMs + 100, `/healthz took ${Math.round(slowestHealthzMs)} ms while the lock was held`);
  });
});

/**
 * SQLite serves one process: a second server on the same file is refused at
 * start with one line, and a server that died (even by SIGKILL) leaves no
 * lock behind.
 */
describe('two servers on one SQLite file', { timeout: 90_000 }, () => {
  let database: TestDatabase;
  let dataDir: string;
  let env: Record<string, string>;

  before(async () => {
    database = await createTestDatabase('sqlite');
    dataDir = mkdtempSync(join(tmpdir(), 'tollgate-data-'));
    env = {
      HOST: '127.0.0.1',
      DATABASE_URL: database.url,
      TOLLGATE_DATA_DIR: dataDir,
      TOLLGATE_SECRET: randomBytes(32).toString('base64url'),
      TOLLGATE_RATE_LIMITS: 'off',
      LOG_LEVEL: 'warn',
    };
  });
  after(async () => {
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('the second is refused with one line; after the first is killed, a new one starts', async () => {
    const first = spawnServe({ ...env, PORT: '0', LOG_LEVEL: 'info' });
    try {
      await waitUntilReady(first);
      await assert.rejects(startTestServer('sqlite', { env }), (error: unknown) => {
        assert.ok(error instanceof DatabaseInUseError);
        assert.match(error.message, /in use by another Tollgate process/);
        return true;
      });

      const second = spawnServe({ ...env, PORT: '0' });
      const exit = await Promise.race([second.exited, sleep(20_000).then(() => 'still running')]);
      await second.stop(1_000);
      assert.equal(exit, 1);
      assert.deepEqual(
        second.lines.filter((line) => !line.includes('oidc-provider WARNING')),
        [`tollgate: ${fileOf(database.url)} is in use by another Tollgate process (lock file ${fileOf(database.url)}.lock): SQLite serves one process; stop the other one, or use PostgreSQL (DATABASE_URL=postgres://…) for several`],
      );
    } finally {
      process.kill(first.pid, 'SIGKILL');
      await first.exited;
    }

    const next = await startTestServer('sqlite', { env });
    await next.stop();
  });
});
