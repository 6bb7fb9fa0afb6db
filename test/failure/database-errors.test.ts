import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { once } from 'node:events';
import pg from 'pg';
import { isDatabaseUnavailable } from '../../adapters/database-errors.js';
import { adminSession } from '../admin/fixture.js';
import { createTestDatabase, databaseVariants, type TestDatabase } from '../helpers/databases.js';
import { eventually, postForm, seedMachineClient, startTestServer, type MachineClient, type TestServer } from '../helpers/server.js';
import { startRelay, type TcpRelay } from '../helpers/tcp-relay.js';

const OPAQUE_API = 'https://opaque.acme.test';
const postgres = databaseVariants.find((variant) => variant.kind === 'postgres')!;
const entries = (lines: readonly string[]) => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
/** The audit writer's own line when a batch could not be written (it retries on a schedule, not per request). */
const BACKGROUND_RETRY = 'audit events not written yet, will retry';
const problems = (lines: readonly string[]) => entries(lines).filter((entry) => entry['level'] === 'error' || entry['level'] === 'warn');

/** Requests tokens until they succeed and the log says the outage ended (a second after its last failure); returns that line. */
async function outageEnded(logLines: readonly string[], from: number, tokenRequest: () => ReturnType<typeof postForm>): Promise<Record<string, unknown>> {
  return eventually(async () => {
    assert.equal((await tokenRequest()).status, 200);
    const ended = entries(logLines.slice(from)).find((entry) => entry['message'] === 'database available again');
    assert.ok(ended, 'the end of the outage is logged');
    return ended;
  }, 10_000);
}

/** A server whose token requests for OPAQUE_API write to the database (opaque tokens are stored). */
async function opaqueTokens(server: TestServer): Promise<{ machine: MachineClient; tokenRequest: () => ReturnType<typeof postForm> }> {
  await server.registry.resources.create({ audience: OPAQUE_API, scopes: ['ping'], token_format: 'opaque', shared_with: ['*'] });
  const machine = await seedMachineClient(server, { resources: [OPAQUE_API], scopes: ['ping'] });
  return { machine, tokenRequest: () => postForm(`${server.url}/token`, { grant_type: 'client_credentials', scope: 'ping' }, machine) };
}

describe('which database errors are an outage (503)', () => {
  test('connection loss, timeouts and a busy SQLite are; a constraint or a bug is not', () => {
    const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });
    for (const error of [
      new Error('Connection terminated unexpectedly'),
      new Error('Query read timeout'),
      new Error('Client was closed and is not queryable'),
      withCode('read ECONNRESET', 'ECONNRESET'),
      withCode('connect ETIMEDOUT', 'ETIMEDOUT'),
      withCode('write EPIPE', 'EPIPE'),
      withCode('canceling statement due to statement timeout', '57014'),
      withCode('terminating connection due to administrator command', '57P01'),
      withCode('database is locked', 'SQLITE_BUSY'),
      withCode('database table is locked', 'SQLITE_LOCKED'),
      Object.assign(new Error('Knex: Timeout acquiring a connection'), { name: 'KnexTimeoutError' }),
      new Error('wrapped', { cause: new Error('Connection terminated unexpectedly') }),
    ]) {
      assert.equal(isDatabaseUnavailable(error), true, error.message);
    }
    for (const error of [withCode('UNIQUE constraint failed', 'SQLITE_CONSTRAINT_UNIQUE'), withCode('duplicate key', '23505'), new TypeError('x is undefined')]) {
      assert.equal(isDatabaseUnavailable(error), false, error.message);
    }
  });
});

describe('database errors in the log (SQLite)', { timeout: 60_000 }, () => {
  const logLines: string[] = [];
  let server: TestServer;

  before(async () => {
    server = await startTestServer('sqlite', { logLines, env: { TOLLGATE_DATABASE_TIMEOUT: '0.3' } });
  });
  after(() => server?.stop());

  test('a failed write logs no SQL and no values, once for the outage, not per request', async () => {
    const { tokenRequest } = await opaqueTokens(server);
    assert.equal((await tokenRequest()).status, 200);
    const from = logLines.length;
    const other = new (createRequire(import.meta.url)('better-sqlite3') as new (file: string) => { exec(sql: string): void; close(): void })(
      server.testDatabase.url.slice('sqlite:'.length),
    );
    other.exec('BEGIN IMMEDIATE');
    try {
      for (const answer of await Promise.all(Array.from({ length: 5 }, () => tokenRequest()))) assert.equal(answer.status, 503);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    await outageEnded(logLines, from, tokenRequest);

    const logged = logLines.slice(from);
    for (const line of logged) assert.doesNotMatch(line, /insert into|oidc_models|values \(|ClientCredentials|"scope"/i);
    // Background jobs (the audit writer's retry) may add a line of their own; requests add none.
    assert.deepEqual(
      problems(logged)
        .filter((entry) => entry['message'] !== BACKGROUND_RETRY)
        .map((entry) => [entry['message'], entry['code'], entry['detail']]),
      [['database unavailable', 'SQLITE_BUSY', 'database is locked']],
    );
  });

  test('a client that hangs up mid-request is logged at info, not as a server error', async () => {
    const admin = await adminSession(server);
    const from = logLines.length;
    const socket = connect(Number(new URL(server.url).port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    // The server has the request (its headers) before the client hangs up.
    const received = once(server.server, 'request');
    socket.write(
      `POST /admin/v1/tenants HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAuthorization: Bearer ${admin.token}\r\nContent-Length: 1000\r\n\r\n{"slug":`,
    );
    await received;
    socket.resetAndDestroy();
    const request = await eventually(async () => {
      const found = entries(logLines.slice(from)).find((entry) => entry['message'] === 'request' && entry['path'] === '/admin/v1/tenants');
      assert.ok(found);
      return found;
    });
    assert.equal(request['status'], 499);
    assert.deepEqual(problems(logLines.slice(from)), []);
    assert.ok(entries(logLines.slice(from)).some((entry) => entry['message'] === 'client disconnected' && entry['level'] === 'info'));
  });
});

describe('PostgreSQL lost under a running server', { skip: postgres.skip, timeout: 60_000 }, () => {
  const logLines: string[] = [];
  let database: TestDatabase;
  let relay: TcpRelay;
  let server: TestServer;
  let tokenRequest: () => ReturnType<typeof postForm>;

  before(async () => {
    database = await createTestDatabase('postgres');
    relay = await startRelay(new URL(database.url), 5432);
    const url = new URL(database.url);
    url.host = `127.0.0.1:${relay.port}`;
    server = await startTestServer('postgres', { logLines, env: { DATABASE_URL: url.toString() } });
    ({ tokenRequest } = await opaqueTokens(server));
    assert.equal((await tokenRequest()).status, 200);
  });
  after(async () => {
    await server?.stop();
    await relay?.cut();
    await database?.drop();
  });

  test('"Connection terminated unexpectedly" in the middle of a query answers 503 with Retry-After', async () => {
    // Holds every token insert for 3 s, so the connection can be cut under it.
    const from = logLines.length;
    const direct = new pg.Client({ connectionString: database.url });
    await direct.connect();
    try {
      await direct.query(`CREATE FUNCTION slow_insert() RETURNS trigger AS $$ BEGIN PERFORM pg_sleep(3); RETURN NEW; END $$ LANGUAGE plpgsql`);
      await direct.query('CREATE TRIGGER slow_insert BEFORE INSERT ON oidc_models FOR EACH ROW EXECUTE FUNCTION slow_insert()');
      const answer = tokenRequest();
      // Cut once the insert is held in the trigger.
      await eventually(async () => {
        const { rows } = await direct.query(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'PgSleep'`);
        assert.equal(rows.length, 1);
      }, 10_000);
      await relay.cut();
      const response = await answer;
      assert.equal(response.status, 503, JSON.stringify(response.body));
      assert.equal(response.body['error'], 'temporarily_unavailable');
      assert.ok(response.headers.get('retry-after'));
      await direct.query('DROP TRIGGER slow_insert ON oidc_models');
    } finally {
      await direct.end();
    }
    await relay.restore();
    await outageEnded(logLines, from, tokenRequest);
  });

  test('an outage under load is logged when it starts and when it ends, not once per request', async () => {
    const from = logLines.length;
    await relay.cut();
    for (let round = 0; round < 5; round += 1) {
      for (const answer of await Promise.all(Array.from({ length: 10 }, () => tokenRequest()))) assert.equal(answer.status, 503);
    }
    await relay.restore();
    const ended = await outageEnded(logLines, from, tokenRequest);

    const logged = entries(logLines.slice(from));
    assert.equal(logged.filter((entry) => entry['message'] === 'request' && entry['status'] === 503).length, 50);
    const messages = problems(logLines.slice(from))
      .map((entry) => entry['message'])
      .filter((message) => message !== BACKGROUND_RETRY);
    assert.deepEqual(messages, ['database unavailable']);
    // Calls, not requests: concurrent lookups of one client share one call.
    assert.ok(Number(ended['failedCalls']) >= 5, `failed calls counted: ${String(ended['failedCalls'])}`);
  });
});
