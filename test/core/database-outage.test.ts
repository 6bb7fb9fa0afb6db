import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, databaseVariants, type TestDatabase } from '../helpers/databases.js';
import { ownPostgresUnavailable, startOwnPostgres } from '../helpers/own-postgres.js';
import { startRelay } from '../helpers/tcp-relay.js';
import { eventually, postForm, seedMachineClient, startTestServer, type MachineClient, type TestServer } from '../helpers/server.js';

/**
 * With the database gone: token requests get 503 `temporarily_unavailable`
 * with `Retry-After: 5` in under a second (once the 1 s registry cache has
 * expired every request needs the database) and /readyz says 503; after
 * `restore`, tokens and readiness come back without a restart.
 */
async function expectOutageThenRecovery(
  server: TestServer,
  tokenRequest: () => ReturnType<typeof postForm>,
  restore: () => Promise<void>,
): Promise<void> {
  const outage = await eventually(async () => {
    const started = performance.now();
    const response = await tokenRequest();
    assert.equal(response.status, 503, JSON.stringify(response.body));
    return { response, ms: performance.now() - started };
  }, 5_000);
  assert.equal(outage.response.body['error'], 'temporarily_unavailable');
  assert.equal(outage.response.headers.get('retry-after'), '5');
  assert.ok(outage.ms < 1_000, `503 took ${outage.ms} ms`);
  assert.equal((await fetch(`${server.url}/readyz`)).status, 503);

  await restore();
  await eventually(async () => assert.equal((await tokenRequest()).status, 200), 10_000);
  assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
}

const postgres = databaseVariants.find((variant) => variant.kind === 'postgres')!;

describe('a database outage', { skip: postgres.skip }, () => {
  let database: TestDatabase;
  let relay: Awaited<ReturnType<typeof startRelay>>;
  let server: TestServer;
  let machine: MachineClient;

  before(async () => {
    database = await createTestDatabase('postgres');
    relay = await startRelay(new URL(database.url), 5432);
    const url = new URL(database.url);
    url.host = `127.0.0.1:${relay.port}`;
    server = await startTestServer('postgres', { env: { DATABASE_URL: url.toString() } });
    machine = await seedMachineClient(server);
  });
  after(async () => {
    await server?.stop();
    await relay?.cut();
    await database?.drop();
  });

  test('gets a fast 503 with Retry-After, and the server recovers by itself', async () => {
    const tokenRequest = () => postForm(`${server.url}/token`, { grant_type: 'client_credentials' }, machine);
    assert.equal((await tokenRequest()).status, 200);
    await relay.cut();

    await expectOutageThenRecovery(server, tokenRequest, () => relay.restore());
  });
});

const ownPostgresSkip = postgres.skip || ownPostgresUnavailable() || false;

describe('PostgreSQL stopped and restarted under a running server', { skip: ownPostgresSkip }, () => {
  test('503 with Retry-After within a second while it is down; tokens again once it is back, without a restart', async () => {
    const own = await startOwnPostgres();
    let server: TestServer | undefined;
    try {
      server = await startTestServer('postgres', { env: { DATABASE_URL: own.url } });
      const machine = await seedMachineClient(server);
      const tokenRequest = () => postForm(`${server!.url}/token`, { grant_type: 'client_credentials' }, machine);
      assert.equal((await tokenRequest()).status, 200);

      await own.stop();
      await expectOutageThenRecovery(server, tokenRequest, () => own.start());
    } finally {
      await server?.stop();
      await own.destroy();
    }
  });
});
