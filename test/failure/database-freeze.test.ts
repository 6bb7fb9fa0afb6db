import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, databaseVariants, type TestDatabase } from '../helpers/databases.js';
import { eventually, seedMachineClient, startTestServer, type MachineClient, type TestServer } from '../helpers/server.js';
import { startRelay, type TcpRelay } from '../helpers/tcp-relay.js';

const postgres = databaseVariants.find((variant) => variant.kind === 'postgres')!;
const OPAQUE_API = 'https://opaque.acme.test';
/** TOLLGATE_DATABASE_TIMEOUT for this suite, in seconds. */
const BOUND_SECONDS = 1;
/** Scheduling slack on a shared two-core machine. */
const SLACK_MS = 700;
/** Where the test gives up on an answer: a hang fails the test instead of stalling the run. */
const CLIENT_TIMEOUT_MS = 8_000;

interface TimedAnswer {
  readonly status: number;
  readonly retryAfter: string | null;
  readonly ms: number;
}

async function timed(url: string, init: RequestInit = {}): Promise<TimedAnswer> {
  const started = performance.now();
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS) });
  await response.arrayBuffer();
  return { status: response.status, retryAfter: response.headers.get('retry-after'), ms: performance.now() - started };
}

/**
 * A network partition to PostgreSQL (the relay stops forwarding, every
 * socket stays open, nothing is reset): each database call is bounded by
 * TOLLGATE_DATABASE_TIMEOUT, so a token request answers 503 with Retry-After
 * within it, /readyz within a second, and once the partition heals the dead
 * connections have been replaced and tokens come back without a restart.
 */
describe('a network partition to PostgreSQL', { skip: postgres.skip, timeout: 60_000 }, () => {
  let database: TestDatabase;
  let relay: TcpRelay;
  let server: TestServer;
  let machine: MachineClient;
  let tokenRequest: () => Promise<TimedAnswer>;

  before(async () => {
    database = await createTestDatabase('postgres');
    relay = await startRelay(new URL(database.url), 5432);
    const url = new URL(database.url);
    url.host = `127.0.0.1:${relay.port}`;
    server = await startTestServer('postgres', { env: { DATABASE_URL: url.toString(), TOLLGATE_DATABASE_TIMEOUT: String(BOUND_SECONDS) } });
    // Opaque tokens are stored: every issuance writes to the database.
    await server.registry.resources.create({ audience: OPAQUE_API, scopes: ['ping'], token_format: 'opaque', shared_with: ['*'] });
    machine = await seedMachineClient(server, { resources: [OPAQUE_API], scopes: ['ping'] });
    const basic = Buffer.from(`${machine.clientId}:${machine.clientSecret}`).toString('base64');
    tokenRequest = () =>
      timed(`${server.url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'ping' }).toString(),
      });
  });
  after(async () => {
    relay?.thaw();
    await server?.stop();
    await relay?.cut();
    await database?.drop();
  });

  test('token requests answer 503 with Retry-After within the bound, /readyz within 1 s, and the server recovers after the thaw', async (t) => {
    assert.equal((await tokenRequest()).status, 200);
    relay.freeze();
    try {
      const during = await Promise.all([tokenRequest(), tokenRequest(), tokenRequest()]);
      for (const answer of during) {
        assert.equal(answer.status, 503);
        assert.ok(answer.retryAfter, 'a 503 says when to retry');
        assert.ok(answer.ms < BOUND_SECONDS * 1000 + SLACK_MS, `503 took ${Math.round(answer.ms)} ms`);
      }
      t.diagnostic(`503 after ${during.map((answer) => Math.round(answer.ms)).join(', ')} ms`);
      const readiness = await timed(`${server.url}/readyz`);
      t.diagnostic(`/readyz 503 after ${Math.round(readiness.ms)} ms`);
      assert.equal(readiness.status, 503);
      assert.ok(readiness.ms < 1_000, `/readyz took ${Math.round(readiness.ms)} ms`);
      // A second round: requests still fail within the bound once the pool holds only dead connections.
      const again = await tokenRequest();
      assert.equal(again.status, 503);
      assert.ok(again.ms < BOUND_SECONDS * 1000 + SLACK_MS, `503 took ${Math.round(again.ms)} ms`);
    } finally {
      relay.thaw();
    }
    await eventually(async () => assert.equal((await tokenRequest()).status, 200), 10_000);
    assert.equal((await timed(`${server.url}/readyz`)).status, 200);
  });
});
