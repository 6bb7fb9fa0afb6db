import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { openDatabase } from '../../adapters/database.js';
import { createRegistry } from '../../src/registry/index.js';
import { createTestDatabase } from '../helpers/databases.js';
import { eventually, seedMachineClient, type MachineClient } from '../helpers/server.js';
import { logEntries, spawnServe, waitUntilReady, type ServeProcess } from '../helpers/serve-process.js';
import { KeepAliveConnection, type KeepAliveAnswer } from './keep-alive-client.js';

const POSTGRES_SKIP = process.env['TEST_DATABASE_URL'] ? false : 'cluster drain skipped: TEST_DATABASE_URL is not set (workers need PostgreSQL)';
const DEADLINE_SECONDS = 5;

interface Deployment {
  readonly serve: ServeProcess;
  readonly machine: MachineClient;
  /** token.issued rows in the deployment's database. */
  issuedEvents(): Promise<number>;
  remove(): Promise<void>;
}

async function deploy(kind: 'sqlite' | 'postgres', env: Record<string, string>, args: string[] = []): Promise<Deployment> {
  const database = await createTestDatabase(kind);
  const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-drain-'));
  const serve = spawnServe(
    {
      HOST: '127.0.0.1',
      // The system chooses the port; the process says which at info level.
      PORT: '0',
      ISSUER: 'http://auth.acme.test',
      DATABASE_URL: database.url,
      TOLLGATE_SECRET: randomBytes(32).toString('base64url'),
      TOLLGATE_DATA_DIR: dataDir,
      TOLLGATE_RATE_LIMITS: 'off',
      LOG_LEVEL: 'info',
      ...env,
    },
    args,
  );
  const storage = openDatabase(database.url);
  try {
    await waitUntilReady(serve);
    const machine = await seedMachineClient({ registry: createRegistry(storage.knex) });
    return {
      serve,
      machine,
      async issuedEvents() {
        const [row] = await storage.knex('audit_events').where({ type: 'token.issued' }).count({ count: '*' });
        return Number(row!['count']);
      },
      async remove() {
        await serve.stop(2_000);
        await storage.close();
        await database.drop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await serve.stop(2_000);
    await storage.close();
    throw error;
  }
}

const drainAnnounced = (serve: ServeProcess) => logEntries(serve.lines).filter((entry) => entry['message'] === 'shutting down: draining connections').length;

/** Token requests back to back on one kept-alive connection until the server says `Connection: close`. */
async function tokenLoop(connection: KeepAliveConnection, machine: MachineClient, seen: { tokens: number; errors: string[] }, warm: () => void): Promise<KeepAliveAnswer | undefined> {
  for (let sent = 1; ; sent += 1) {
    let answer: KeepAliveAnswer;
    try {
      answer = await connection.send('POST', '/token', { form: { grant_type: 'client_credentials' }, auth: machine });
    } catch (error) {
      seen.errors.push(`${(error as NodeJS.ErrnoException).code ?? ''} ${(error as Error).message}`);
      return undefined;
    }
    if (answer.status === 200 && typeof answer.body['access_token'] === 'string') seen.tokens += 1;
    else seen.errors.push(`status ${answer.status} ${JSON.stringify(answer.body)}`);
    if (sent === 5) warm();
    if (answer.connection === 'close') return answer;
  }
}

/**
 * Four connections busy with token requests, four idle ones and one for the
 * readiness probe; SIGTERM once every busy one has had 5 answers; once the
 * drain is announced (by every worker), one request on each idle connection.
 */
async function drainUnderLoad(deployment: Deployment, workers: number) {
  const { serve, machine } = deployment;
  const busy = Array.from({ length: 4 }, () => new KeepAliveConnection(serve.url));
  const idle = Array.from({ length: 4 }, () => new KeepAliveConnection(serve.url));
  const probe = new KeepAliveConnection(serve.url);
  try {
    for (const connection of [...idle, probe]) assert.equal((await connection.send('GET', '/healthz')).status, 200);
    const seen = { tokens: 0, errors: [] as string[] };
    let warmed = 0;
    let allWarm!: () => void;
    const warm = new Promise<void>((resolve) => (allWarm = resolve));
    const loops = busy.map((connection) =>
      tokenLoop(connection, machine, seen, () => {
        warmed += 1;
        if (warmed === busy.length) allWarm();
      }),
    );
    await warm;

    const signalledAt = Date.now();
    process.kill(serve.pid, 'SIGTERM');
    await eventually(async () => assert.equal(drainAnnounced(serve), workers), 5_000);
    const readiness = await probe.send('GET', '/readyz');
    const lateRequests = await Promise.allSettled(
      idle.map((connection) => connection.send('POST', '/token', { form: { grant_type: 'client_credentials' }, auth: machine })),
    );
    const lastAnswers = await Promise.all(loops);
    const code = await serve.exited;
    const stoppedAfterMs = Date.now() - signalledAt;

    for (const result of lateRequests) {
      if (result.status === 'rejected') seen.errors.push(`idle connection: ${(result.reason as NodeJS.ErrnoException).code ?? ''} ${(result.reason as Error).message}`);
      else if (result.value.status === 200) seen.tokens += 1;
    }
    return { seen, readiness, lateRequests, lastAnswers, code, stoppedAfterMs };
  } finally {
    for (const connection of [...busy, ...idle, probe]) connection.close();
  }
}

async function assertDrained(deployment: Deployment, outcome: Awaited<ReturnType<typeof drainUnderLoad>>) {
  const { seen, readiness, lateRequests, lastAnswers, code, stoppedAfterMs } = outcome;
  const tail = deployment.serve.lines.slice(-8).join('\n');
  assert.deepEqual(seen.errors, [], 'no connection reset, no request lost');
  assert.equal(code, 0, tail);
  assert.ok(stoppedAfterMs < DEADLINE_SECONDS * 1000, `exited ${stoppedAfterMs} ms after SIGTERM`);
  assert.equal(readiness.status, 503);
  assert.equal(readiness.body['error'], 'temporarily_unavailable');
  assert.equal(readiness.connection, 'close');
  for (const answer of lastAnswers) assert.equal(answer?.connection, 'close', 'every busy connection ends with Connection: close');
  for (const result of lateRequests) {
    assert.equal(result.status, 'fulfilled');
    if (result.status !== 'fulfilled') continue;
    assert.equal(result.value.reusedSocket, true, 'sent on the connection that was idle at SIGTERM');
    assert.equal(result.value.status, 200);
    assert.equal(result.value.connection, 'close');
  }
  assert.ok(seen.tokens >= 24);
  assert.equal(await deployment.issuedEvents(), seen.tokens, 'every token received has its token.issued event');
}

describe('SIGTERM drains a single process', () => {
  test('under keep-alive load: no reset, Connection: close, /readyz 503, every audit event written, exit 0 within the deadline', { timeout: 60_000 }, async () => {
    const deployment = await deploy('sqlite', { TOLLGATE_SHUTDOWN_TIMEOUT: String(DEADLINE_SECONDS) });
    try {
      await assertDrained(deployment, await drainUnderLoad(deployment, 1));
    } finally {
      await deployment.remove();
    }
  });

  test('a body that never finishes arriving is cut at the deadline, and the process exits 0', { timeout: 60_000 }, async () => {
    const deadlineSeconds = 2;
    const deployment = await deploy('sqlite', { TOLLGATE_SHUTDOWN_TIMEOUT: String(deadlineSeconds) });
    const { serve } = deployment;
    const socket = connect(Number(new URL(serve.url).port), '127.0.0.1');
    try {
      const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
      socket.on('error', () => undefined);
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      // Headers and 10 of the 100 announced bytes: the server waits for the rest.
      await new Promise<void>((resolve, reject) =>
        socket.write('POST /token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant_type', (error) =>
          error ? reject(error) : resolve(),
        ),
      );
      const signalledAt = Date.now();
      process.kill(serve.pid, 'SIGTERM');
      const code = await Promise.race([serve.exited, new Promise((resolve) => setTimeout(() => resolve('still running'), (deadlineSeconds + 5) * 1000))]);
      const stoppedAfterMs = Date.now() - signalledAt;
      assert.equal(code, 0, serve.lines.slice(-5).join('\n'));
      assert.ok(stoppedAfterMs >= deadlineSeconds * 1000 - 100, `held until the deadline (${stoppedAfterMs} ms)`);
      assert.ok(stoppedAfterMs < (deadlineSeconds + 3) * 1000, `not past it (${stoppedAfterMs} ms)`);
      assert.ok(logEntries(serve.lines).some((entry) => entry['message'] === 'shutdown deadline reached: connections cut with requests unfinished' && entry['connections'] === 1));
      await closed;
    } finally {
      socket.destroy();
      await deployment.remove();
    }
  });
});

describe('SIGTERM drains a cluster', { skip: POSTGRES_SKIP }, () => {
  test('--workers 2 under keep-alive load: the primary forwards it, no reset, every audit event written, exit 0 within the deadline', { timeout: 90_000 }, async () => {
    const deployment = await deploy('postgres', { TOLLGATE_SHUTDOWN_TIMEOUT: String(DEADLINE_SECONDS) }, ['--workers', '2']);
    try {
      await eventually(async () => assert.ok(deployment.serve.lines.some((line) => line.includes('"cluster ready"'))), 20_000);
      await assertDrained(deployment, await drainUnderLoad(deployment, 2));
    } finally {
      await deployment.remove();
    }
  });
});
