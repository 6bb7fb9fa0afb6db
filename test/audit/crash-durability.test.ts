import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { openDatabase } from '../../adapters/database.js';
import { createRegistry } from '../../src/registry/index.js';
import { createTestDatabase, databaseVariants } from '../helpers/databases.js';
import { postForm, seedMachineClient, type MachineClient } from '../helpers/server.js';
import { spawnServe, waitUntilReady } from '../helpers/serve-process.js';

/** Concurrent clients, each sending one token request after another. */
const CLIENTS = 16;
/** How long the load runs at least before the server is killed in the middle of it… */
const LOAD_MS = 2_000;
/** … and until this many tokens were received (a busy machine answers slowly), within `LOAD_LIMIT_MS`. */
const ENOUGH_TOKENS = 100;
const LOAD_LIMIT_MS = 20_000;

/**
 * Token requests from `CLIENTS` concurrent loops until `stop` is aborted;
 * resolves with the jti of every token a client actually received.
 */
async function loadUntil(url: string, machine: MachineClient, stop: AbortSignal, received: string[]): Promise<void> {
  const authorization = `Basic ${Buffer.from(`${encodeURIComponent(machine.clientId)}:${encodeURIComponent(machine.clientSecret)}`).toString('base64')}`;
  const loop = async () => {
    while (!stop.aborted) {
      try {
        const response = await fetch(`${url}/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization },
          body: 'grant_type=client_credentials',
          signal: AbortSignal.timeout(5_000),
        });
        const body = (await response.json()) as { access_token?: string };
        if (response.status === 200 && body.access_token) received.push(String(decodeJwt(body.access_token).jti));
      } catch {
        // The server was killed: this answer never arrived, so it does not count.
        if (stop.aborted) return;
      }
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, loop));
}

for (const variant of databaseVariants) {
  describe(`kill -9 under load loses no audit event of a token a client received (${variant.kind})`, { skip: variant.skip, timeout: 120_000 }, () => {
    test('every token received before SIGKILL has its token.issued row', async (t) => {
      const database = await createTestDatabase(variant.kind);
      const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-crash-'));
      const serve = spawnServe({
        HOST: '127.0.0.1',
        // The system chooses the port; the process says which at info level.
        PORT: '0',
        ISSUER: 'http://auth.acme.test',
        DATABASE_URL: database.url,
        TOLLGATE_DATA_DIR: dataDir,
        TOLLGATE_SECRET: randomBytes(32).toString('base64url'),
        TOLLGATE_RATE_LIMITS: 'off',
        LOG_LEVEL: 'info',
      });
      const storage = openDatabase(database.url);
      try {
        await waitUntilReady(serve);
        const machine = await seedMachineClient({ registry: createRegistry(storage.knex) });

        // One token first: the credential is then cached, and the load measures issuance, not argon2.
        assert.equal((await postForm(`${serve.url}/token`, { grant_type: 'client_credentials' }, machine)).status, 200);

        const stop = new AbortController();
        const received: string[] = [];
        const load = loadUntil(serve.url, machine, stop.signal, received);
        const started = Date.now();
        while (Date.now() - started < LOAD_MS || (received.length < ENOUGH_TOKENS && Date.now() - started < LOAD_LIMIT_MS)) {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        process.kill(serve.pid, 'SIGKILL');
        assert.equal(await serve.exited, null, 'killed, not exited');
        stop.abort();
        await load;

        const rows = await storage.knex('audit_events').where('type', 'token.issued').select<{ detail: string }[]>('detail');
        const recorded = new Set(rows.map((row) => (JSON.parse(row.detail) as { jti?: string }).jti));
        const missing = received.filter((jti) => !recorded.has(jti));
        t.diagnostic(`${received.length} tokens received, ${rows.length} token.issued rows, ${missing.length} received tokens without a row`);
        assert.ok(received.length >= 50, `the load was real: ${received.length} tokens received`);
        assert.deepEqual(missing, [], `${missing.length} of ${received.length} received tokens have no token.issued row`);
      } finally {
        await serve.stop(1_000);
        await storage.close();
        await database.drop();
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });
}
