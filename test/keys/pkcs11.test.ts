import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import pkcs11js from 'pkcs11js';
import { openPkcs11Backend } from '../../keys/pkcs11-backend.js';
import { databaseVariants } from '../helpers/databases.js';
import { spawnServe, waitUntilReady } from '../helpers/serve-process.js';
import { API, eventually, postForm, seedMachineClient, startTestServer, type MachineClient, type TestServer } from '../helpers/server.js';
import { createSoftHsmToken, objectsOf, softhsmSkip, type SoftHsmToken } from '../helpers/softhsm.js';

const skip = softhsmSkip();
const postgres = databaseVariants.find((variant) => variant.kind === 'postgres')!;
const DAY_MS = 86_400_000;

async function issue(server: { readonly url: string }, machine: MachineClient) {
  return postForm(`${server.url}/token`, { grant_type: 'client_credentials', scope: 'read:projects' }, machine);
}

async function tokenOf(server: { readonly url: string }, machine: MachineClient): Promise<string> {
  const response = await issue(server, machine);
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return String(response.body['access_token']);
}

const kidOf = (jwt: string) => String(decodeProtectedHeader(jwt).kid);
const kidIn = async (server: TestServer, state: string) => (await server.keyStore.list()).filter((key) => key.state === state).map((key) => key.kid);

describe('signing keys in a PKCS#11 token (SoftHSM)', { skip }, () => {
  let token: SoftHsmToken;
  let server: TestServer;
  let machine: MachineClient;
  const clock = { now: Date.now() };
  const logLines: string[] = [];

  before(async () => {
    token = createSoftHsmToken();
    // /jwks may not be cached: a next key may sign as soon as it exists, so rotations need no wait.
    server = await startTestServer('sqlite', { env: { ...token.env, TOLLGATE_JWKS_MAX_AGE: '0' }, clock: () => clock.now, logLines });
    machine = await seedMachineClient(server);
  });
  after(async () => {
    await server?.stop();
    token?.remove();
  });

  const verifyWithJwks = (jwt: string) =>
    jwtVerify(jwt, createRemoteJWKSet(new URL(`${server.issuer}/jwks`)), { issuer: server.issuer, audience: API, typ: 'at+jwt' });

  test('keys are generated in the token, sensitive and not extractable: reading CKA_VALUE fails', async () => {
    const [active] = await kidIn(server, 'active');
    const [next] = await kidIn(server, 'next');
    for (const kid of [active!, next!]) {
      const [privateKey] = objectsOf(token, kid, pkcs11js.CKO_PRIVATE_KEY);
      assert.ok(privateKey, `no private key labelled tollgate:${kid} in the token`);
      const session = token.session();
      try {
        const [extractable, sensitive, id] = token.api.C_GetAttributeValue(session, privateKey, [
          { type: pkcs11js.CKA_EXTRACTABLE },
          { type: pkcs11js.CKA_SENSITIVE },
          { type: pkcs11js.CKA_ID },
        ]);
        assert.deepEqual([extractable?.value, sensitive?.value], [Buffer.from([0]), Buffer.from([1])]);
        assert.deepEqual(id?.value, Buffer.from(kid, 'base64url'));
        assert.throws(() => token.api.C_GetAttributeValue(session, privateKey, [{ type: pkcs11js.CKA_VALUE }]), /CKR_ATTRIBUTE_SENSITIVE/);
      } finally {
        token.api.C_CloseSession(session);
      }
    }
    const rows = await server.database.knex('signing_keys').select('public_jwk');
    for (const row of rows) assert.equal((JSON.parse(String(row.public_jwk)) as { d?: string }).d, undefined);
  });

  test('TOLLGATE_PKCS11_SLOT: the token found by the slot id softhsm2-util shows holds the server\'s keys', async () => {
    const slots = execFileSync('softhsm2-util', ['--show-slots'], { env: { ...process.env, ...token.env }, encoding: 'utf8' });
    const slotId = Number(/^Slot (\d+)$(?:(?!^Slot ).)*?Label:\s+tollgate-test\s*$/ms.exec(slots)?.[1]);
    assert.ok(Number.isSafeInteger(slotId), slots);
    const bySlot = await openPkcs11Backend({ modulePath: token.env['TOLLGATE_PKCS11_MODULE']!, slotId, pin: token.pin });
    try {
      const [active] = await kidIn(server, 'active');
      assert.ok((await bySlot.heldKids()).includes(active!));
    } finally {
      await bySlot.close();
    }
  });

  test('access tokens are signed in the token and verify with jose against /jwks', async () => {
    const [active] = await kidIn(server, 'active');
    const jwt = await tokenOf(server, machine);
    assert.deepEqual([decodeProtectedHeader(jwt).alg, kidOf(jwt)], ['ES256', active]);
    const { payload } = await verifyWithJwks(jwt);
    assert.equal(payload['client_id'], machine.clientId);
  });

  for (const alg of ['PS256', 'RS256'] as const) {
    test(`${alg}: a key created in the token by a rotation signs after the next one, and verifies against /jwks`, async () => {
      const created = await server.keyStore.rotate({ alg });
      assert.equal(objectsOf(token, created.next, pkcs11js.CKO_PRIVATE_KEY).length, 1);
      const promoted = await server.keyStore.rotate();
      assert.equal(promoted.activated, created.next);
      await server.providerHost.refresh();
      const jwt = await tokenOf(server, machine);
      assert.deepEqual([decodeProtectedHeader(jwt).alg, kidOf(jwt)], [alg, created.next]);
      await verifyWithJwks(jwt);
    });
  }

  test('retiring keys are retired on schedule and their objects destroyed in the token', async () => {
    const retiring = await kidIn(server, 'retiring');
    assert.ok(retiring.length >= 1);
    for (const kid of retiring) assert.equal(objectsOf(token, kid).length, 2, 'a retiring key keeps its private and public objects');
    clock.now += 2 * DAY_MS;
    await server.keyMaintenance.runOnce();
    assert.deepEqual(await kidIn(server, 'retiring'), []);
    assert.deepEqual((await kidIn(server, 'retired')).sort(), [...retiring].sort());
    for (const kid of retiring) assert.deepEqual(objectsOf(token, kid), [], `tollgate:${kid} is still in the token`);
    await verifyWithJwks(await tokenOf(server, machine));
  });

  test('revoking a key destroys its objects in the token; the replacement is made there', async () => {
    const [next] = await kidIn(server, 'next');
    const result = await server.keyStore.revoke(next!);
    assert.deepEqual(objectsOf(token, next!), []);
    assert.equal(objectsOf(token, result.next!, pkcs11js.CKO_PRIVATE_KEY).length, 1);
  });

  test('a rotation and a revocation under a stream of token requests: 0 failed requests, 0 failed verifications', async () => {
    await server.providerHost.refresh();
    // A verifier that fetched /jwks before the rotation: the pre-published next key is what lets it verify after.
    const jwks = createRemoteJWKSet(new URL(`${server.issuer}/jwks`), { cooldownDuration: 60_000, cacheMaxAge: 60_000 });
    let stop = false;
    let issued = 0;
    const failures: string[] = [];
    const kids = new Set<string>();
    const stream = async () => {
      while (!stop) {
        const response = await issue(server, machine);
        if (response.status !== 200) {
          failures.push(`request: ${response.status}`);
          continue;
        }
        const jwt = String(response.body['access_token']);
        kids.add(kidOf(jwt));
        issued += 1;
        await jwtVerify(jwt, jwks, { issuer: server.issuer, audience: API }).catch((error: Error) => failures.push(`verification: ${error.message}`));
      }
    };
    const streams = [stream(), stream(), stream()];
    let rotation: Awaited<ReturnType<TestServer['keyStore']['rotate']>>;
    try {
      await eventually(async () => assert.ok(issued >= 10), 10_000);
      rotation = await server.keyStore.rotate();
      await server.providerHost.refresh();
      await eventually(async () => assert.ok(kids.has(rotation.activated)), 10_000);
      await server.keyStore.revoke(rotation.next);
      await server.providerHost.refresh();
      const after = issued;
      await eventually(async () => assert.ok(issued >= after + 10), 10_000);
    } finally {
      stop = true;
      await Promise.all(streams);
    }
    assert.deepEqual(failures, []);
    assert.ok(kids.has(rotation.retiring) && kids.has(rotation.activated), 'tokens were signed by the key before and after the rotation');
  });

  test('the module\'s sessions killed mid-load: requests get 503 with Retry-After (never 500), then sessions are reopened', async () => {
    token.killSessions();
    const failed = await issue(server, machine);
    assert.equal(failed.status, 503, JSON.stringify(failed.body));
    assert.equal(failed.body['error'], 'temporarily_unavailable');
    assert.ok(Number(failed.headers.get('retry-after')) > 0);
    const burst = await Promise.all(Array.from({ length: 8 }, () => issue(server, machine)));
    assert.deepEqual(burst.filter((response) => response.status !== 200 && response.status !== 503).map((response) => response.status), []);
    await verifyWithJwks(await tokenOf(server, machine));
  });

  test('the token unreachable: 503, /readyz names the signing module, the outage is logged; back: signing and readiness recover', async () => {
    const messages = () => logLines.map((line) => String((JSON.parse(line) as { message?: unknown }).message));
    // The outage the previous test caused ends first (a second without failures), so this one logs its own.
    await eventually(async () => {
      await tokenOf(server, machine);
      const last = messages().filter((message) => message.startsWith('signing module')).at(-1);
      assert.ok(last === undefined || last === 'signing module available again');
    }, 5_000);
    logLines.length = 0;
    const [tokenFiles] = readdirSync(token.tokenDir);
    const moved = `${token.tokenDir}.away`;
    // Sessions first (SoftHSM keeps signing from memory on open ones), then the token's files.
    token.killSessions();
    renameSync(`${token.tokenDir}/${tokenFiles}`, moved);
    try {
      assert.equal((await issue(server, machine)).status, 503);
      const readiness = await fetch(`${server.url}/readyz`);
      assert.equal(readiness.status, 503);
      assert.match(String(((await readiness.json()) as { error_description?: string }).error_description), /signing module unavailable/);
      const again = await issue(server, machine);
      assert.deepEqual([again.status, again.body['error']], [503, 'temporarily_unavailable']);
    } finally {
      renameSync(moved, `${token.tokenDir}/${tokenFiles}`);
    }
    await eventually(async () => assert.equal((await fetch(`${server.url}/readyz`)).status, 200), 10_000);
    await verifyWithJwks(await tokenOf(server, machine));
    assert.equal(messages().filter((message) => message === 'signing module unavailable').length, 1);
    await eventually(async () => {
      await tokenOf(server, machine);
      assert.ok(messages().includes('signing module available again'));
    }, 5_000);
    assert.ok(!logLines.some((line) => line.includes(token.pin)), 'the PIN is in a log line');
  });

  describe('two instances, one token, one PostgreSQL', { skip: postgres.skip }, () => {
    let a: TestServer;
    let aMachine: MachineClient;
    let b: ReturnType<typeof spawnServe>;

    before(async () => {
      a = await startTestServer('postgres', { env: { ...token.env, TOLLGATE_JWKS_MAX_AGE: '0' } });
      aMachine = await seedMachineClient(a);
      b = spawnServe({ ...a.env, PORT: '0', LOG_LEVEL: 'info' });
      await waitUntilReady(b);
    });
    after(async () => {
      await b?.stop();
      await a?.stop();
    });

    test('B (its own process) signs with the keys A made in the token, and with the one a rotation through A activates', async () => {
      const viaB = { url: b.url };
      const [active] = await kidIn(a, 'active');
      const fromB = await tokenOf(viaB, aMachine);
      assert.equal(kidOf(fromB), active);
      await jwtVerify(fromB, createRemoteJWKSet(new URL(`${a.url}/jwks`)), { issuer: a.issuer, audience: API });
      const rotation = await a.keyStore.rotate();
      await eventually(async () => assert.equal(kidOf(await tokenOf(viaB, aMachine)), rotation.activated), 15_000);
    });
  });
});

describe('PKCS#11 misconfiguration stops start-up with one line', { skip }, () => {
  let token: SoftHsmToken;
  before(() => {
    token = createSoftHsmToken();
  });
  after(() => token?.remove());

  const startWith = async (env: Record<string, string>) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-hsm-'));
    try {
      const serve = spawnServe({
        ...token.env,
        PORT: '0',
        HOST: '127.0.0.1',
        TOLLGATE_DATA_DIR: dataDir,
        TOLLGATE_SECRET: randomBytes(32).toString('base64url'),
        LOG_LEVEL: 'warn',
        ...env,
      });
      const code = await serve.exited;
      return { code, lines: serve.lines.filter((line) => !line.includes('oidc-provider WARNING')) };
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  };

  for (const [what, env, line] of [
    ['a wrong PIN', { TOLLGATE_PKCS11_PIN: '0000-0000' }, /^tollgate: PKCS#11 token "tollgate-test" \(\/usr\/lib\/softhsm\/libsofthsm2\.so\) refused the login: CKR_PIN_INCORRECT$/],
    ['an unknown token label', { TOLLGATE_PKCS11_TOKEN_LABEL: 'no-such-token' }, /^tollgate: TOLLGATE_PKCS11_TOKEN_LABEL: no token labelled "no-such-token" in \/usr\/lib\/softhsm\/libsofthsm2\.so$/],
    ['a module that is no PKCS#11 library', { TOLLGATE_PKCS11_MODULE: '/etc/hostname' }, /^tollgate: TOLLGATE_PKCS11_MODULE \/etc\/hostname cannot be loaded as a PKCS#11 library/],
    ['no PIN', { TOLLGATE_PKCS11_PIN: '' }, /^tollgate: set one of TOLLGATE_PKCS11_PIN or TOLLGATE_PKCS11_PIN_FILE/],
  ] as const) {
    test(`${what}: exit 1 and one line naming the setting, never the PIN`, async () => {
      const { code, lines } = await startWith(env);
      assert.equal(code, 1);
      assert.equal(lines.length, 1, lines.join('\n'));
      assert.match(lines[0]!, line);
      assert.ok(!lines[0]!.includes(token.pin) && !lines[0]!.includes('0000-0000'));
    });
  }
});
