import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import { openDatabase, type Database } from '../../adapters/database.js';
import { createRegistry, type Registry } from '../../src/registry/index.js';
import { cliFor } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { eventually, postForm, seedMachineClient, type MachineClient } from '../helpers/server.js';
import { spawnServe, waitUntilReady, type ServeProcess } from '../helpers/serve-process.js';
import { deploymentEnv, SCALE_OUT_SKIP } from './fixture.js';


const OPAQUE_API = 'https://opaque.acme.test';

describe('two serve processes on one PostgreSQL and one Redis', { skip: SCALE_OUT_SKIP }, () => {
  let database: TestDatabase;
  let dataDir: string;
  let env: Record<string, string>;
  let a: ServeProcess;
  let b: ServeProcess;
  let storage: Database;
  let registry: Registry;
  const { tollgate, json } = cliFor(() => ({ env }));
  const tenant = `t${randomBytes(4).toString('hex')}`;

  before(async () => {
    database = await createTestDatabase('postgres');
    dataDir = mkdtempSync(join(tmpdir(), 'tollgate-scale-'));
    env = {
      ...deploymentEnv(database.url, dataDir),
      // A next key may sign 2 s after it was published (1 s cache + 1 s margin).
      TOLLGATE_JWKS_MAX_AGE: '1',
      TOLLGATE_RATE_LIMIT_AUTH_FAILURES: '3/min',
      // Every suite on this machine comes from 127.0.0.1 and shares Redis: keep the per-address counters out of the way.
      TOLLGATE_RATE_LIMIT_IP: '100000/min',
      TOLLGATE_RATE_LIMIT_AUTH_FAILURES_IP: '100000/min',
      LOG_LEVEL: 'warn',
    };
    // Started together on a fresh database: both migrate and create the first keys at once.
    // At info level each says the port it listens on.
    a = spawnServe({ ...env, LOG_LEVEL: 'info' });
    b = spawnServe({ ...env, LOG_LEVEL: 'info' });
    await Promise.all([waitUntilReady(a), waitUntilReady(b)]);
    storage = openDatabase(database.url);
    registry = createRegistry(storage.knex);
  });

  after(async () => {
    await Promise.all([a?.stop(5_000), b?.stop(5_000)]);
    await storage?.close();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const seed = (options: Parameters<typeof seedMachineClient>[1] = {}) => seedMachineClient({ registry }, { tenant, ...options });
  const token = (server: ServeProcess, client: MachineClient, form: Record<string, string> = {}) =>
    postForm(`${server.url}/token`, { grant_type: 'client_credentials', ...form }, client);
  const introspect = async (server: ServeProcess, client: MachineClient, accessToken: string) => {
    const response = await postForm(`${server.url}/token/introspection`, { token: accessToken }, client);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body;
  };
  const issued = async (server: ServeProcess, client: MachineClient, form: Record<string, string> = {}) => {
    const response = await token(server, client, form);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return String(response.body['access_token']);
  };

  test('both started at once on a fresh database: one active and one next key', async () => {
    const keys = await json('keys', 'list');
    assert.deepEqual(keys.map((key) => key['state']).sort(), ['active', 'next']);
  });

  test('a token issued by A introspects active at B', async () => {
    const machine = await seed();
    const accessToken = await issued(a, machine, { scope: 'read:projects' });
    const answer = await introspect(b, machine, accessToken);
    assert.equal(answer['active'], true);
    assert.equal(answer['client_id'], machine.clientId);
    assert.equal(answer['scope'], 'read:projects');
  });

  test('a client disabled through the CLI is refused at B within 2 s', async () => {
    const machine = await seed();
    // B has verified (and cached) the secret before the change.
    await issued(b, machine);
    await json('clients', 'disable', machine.clientId);
    await eventually(async () => assert.equal((await token(b, machine)).status, 401), 2_000);
    assert.equal((await token(a, machine)).status, 401);
  });

  test('keys rotate through the CLI: B publishes and signs with the new key within 10 s', async () => {
    const machine = await seed();
    const before = String(decodeProtectedHeader(await issued(b, machine)).kid);
    // Refused until the next key has been published for the cache lifetime + margin (2 s here).
    const rotated = await eventually(async () => {
      const result = await tollgate('keys', 'rotate', '--json');
      assert.equal(result.code, 0, result.stderr);
      return JSON.parse(result.stdout) as { activated: string; retiring: string; next: string };
    }, 10_000);
    assert.equal(rotated.retiring, before);
    for (const server of [b, a]) {
      await eventually(async () => {
        const published = ((await (await fetch(`${server.url}/jwks`)).json()) as { keys: { kid: string }[] }).keys.map((key) => key.kid);
        assert.ok(published.includes(rotated.next), 'the new next key is published');
        assert.equal(decodeProtectedHeader(await issued(server, machine)).kid, rotated.activated);
      }, 10_000);
    }
  });

  test('failed authentications at A and B count against one limit (Redis)', async () => {
    // A fresh client id: its counter starts at zero whatever else used this Redis.
    const machine = await seed();
    const wrong = { ...machine, clientSecret: 'wrong' };
    for (const server of [a, b, a]) assert.equal((await token(server, wrong)).status, 401);
    assert.equal((await token(b, wrong)).status, 429, 'A and B have seen 3 failures between them: the shared 3/min is spent');
    assert.equal((await token(a, machine)).status, 429, 'the limit is per client: the right secret waits too');
  });

  test('an opaque token revoked at A introspects inactive at B; clients revoke-tokens reaches B', async () => {
    if (!(await registry.resources.findByAudience(OPAQUE_API))) {
      await registry.resources.create({ audience: OPAQUE_API, scopes: ['read:things'], token_format: 'opaque', shared_with: ['*'] });
    }
    const opaque = await seed({ resources: [OPAQUE_API], scopes: ['read:things'] });
    const opaqueToken = await issued(a, opaque, { scope: 'read:things' });
    assert.equal((await introspect(b, opaque, opaqueToken))['active'], true);
    const revoked = await postForm(`${a.url}/token/revocation`, { token: opaqueToken }, opaque);
    assert.equal(revoked.status, 200, JSON.stringify(revoked.body));
    assert.equal((await introspect(b, opaque, opaqueToken))['active'], false);

    const machine = await seed();
    const jwt = await issued(a, machine);
    assert.equal((await introspect(b, machine, jwt))['active'], true);
    await json('clients', 'revoke-tokens', machine.clientId);
    await eventually(async () => assert.equal((await introspect(b, machine, jwt))['active'], false), 2_000);
    assert.equal((await introspect(b, machine, await issued(a, machine)))['active'], true, 'tokens issued after the revocation work');
  });
});
