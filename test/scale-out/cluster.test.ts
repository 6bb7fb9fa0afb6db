import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openDatabase, type Database } from '../../adapters/database.js';
import { restartDelayMs, WORKER_HEADER } from '../../src/cluster.js';
import { createRegistry } from '../../src/registry/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { eventually, seedMachineClient, type MachineClient } from '../helpers/server.js';
import { logEntries, postOnNewConnection, spawnServe, waitUntilReady, type ServeProcess } from '../helpers/serve-process.js';
import { deploymentEnv, SCALE_OUT_SKIP } from './fixture.js';

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('restart back-off for workers that die', () => {
  test('doubles while workers die young, up to 30 s; back to 0.5 s after a healthy run', () => {
    assert.equal(restartDelayMs(undefined, 100), 500);
    assert.equal(restartDelayMs(500, 100), 1_000);
    assert.equal(restartDelayMs(16_000, 100), 30_000);
    assert.equal(restartDelayMs(30_000, 100), 30_000);
    assert.equal(restartDelayMs(30_000, 60_000), 500);
  });
});

describe('serve --workers with SQLite', () => {
  test('refuses with one line naming PostgreSQL, exit code 1', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-cluster-'));
    const serve = spawnServe({ HOST: '127.0.0.1', PORT: '0', DATABASE_URL: `sqlite:${join(dataDir, 'db.sqlite')}`, TOLLGATE_DATA_DIR: dataDir }, ['--workers', '2']);
    try {
      assert.equal(await Promise.race([serve.exited, new Promise((resolve) => setTimeout(() => resolve('still running'), 10_000))]), 1);
      assert.equal(serve.lines.length, 1, serve.lines.join('\n'));
      assert.match(serve.lines[0]!, /^tollgate: TOLLGATE_WORKERS \(--workers\) is 2 but DATABASE_URL is SQLite.*use PostgreSQL/);
    } finally {
      await serve.stop(2_000);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('serve --workers 2 on PostgreSQL', { skip: SCALE_OUT_SKIP }, () => {
  let database: TestDatabase;
  let storage: Database;
  let dataDir: string;
  let serve: ServeProcess;
  let machine: MachineClient;

  before(async () => {
    database = await createTestDatabase('postgres');
    dataDir = mkdtempSync(join(tmpdir(), 'tollgate-cluster-'));
    serve = spawnServe(
      { ...deploymentEnv(database.url, dataDir), TOLLGATE_RATE_LIMITS: 'off', LOG_LEVEL: 'info' },
      ['--workers', '2'],
    );
    await waitUntilReady(serve);
    await eventually(async () => assert.ok(serve.lines.some((line) => line.includes('"cluster ready"'))), 20_000);
    storage = openDatabase(database.url);
    machine = await seedMachineClient({ registry: createRegistry(storage.knex) });
  });

  after(async () => {
    await serve?.stop(5_000);
    await storage?.close();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const workersAnswering = async (requests: number) => {
    const workers = new Set<string>();
    for (let i = 0; i < requests; i += 1) {
      const response = await postOnNewConnection(`${serve.url}/token`, { grant_type: 'client_credentials' }, machine);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      workers.add(String(response.headers[WORKER_HEADER.toLowerCase()]));
    }
    return workers;
  };
  const workerPids = () =>
    logEntries(serve.lines)
      .filter((entry) => entry['role'] === 'primary' && entry['message'] === 'worker listening')
      .map((entry) => ({ worker: Number(entry['worker']), pid: Number(entry['pid']) }));

  test('both workers answer on one port, and every log line names its worker', async () => {
    assert.deepEqual([...(await workersAnswering(40))].sort(), ['1', '2']);
    const requestLines = logEntries(serve.lines).filter((entry) => entry['message'] === 'request');
    assert.ok(requestLines.length >= 40);
    assert.ok(requestLines.every((entry) => entry['worker'] === 1 || entry['worker'] === 2));
  });

  test('a worker that dies is replaced', async () => {
    const victim = workerPids().find((entry) => entry.worker === 1)!;
    process.kill(victim.pid, 'SIGKILL');
    // Until the primary has seen the exit it may still hand the dead worker a connection.
    await eventually(async () => assert.ok(serve.lines.some((line) => line.includes('"worker died: replacing it"'))), 5_000);
    // The replacement has the next id; it starts after the first back-off (0.5 s).
    await eventually(async () => assert.deepEqual([...(await workersAnswering(6))].sort(), ['2', '3']), 15_000);
  });

  test('SIGTERM stops every worker gracefully and the primary exits 0 within a few seconds', async () => {
    const pids = workerPids().map((entry) => entry.pid);
    const started = Date.now();
    const code = await serve.stop(8_000);
    assert.equal(code, 0, serve.lines.slice(-5).join('\n'));
    assert.ok(Date.now() - started < 8_000);
    assert.deepEqual(pids.filter(isAlive), [], 'no worker outlives the primary');
  });
});
