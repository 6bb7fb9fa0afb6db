import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWK } from 'jose';
import { databaseVariants } from '../helpers/databases.js';
import { API, eventually, postForm, seedMachineClient, startTestServer, type MachineClient, type TestServer } from '../helpers/server.js';

/**
 * A verifier that caches /jwks exactly as long as Cache-Control allows and
 * never refetches on an unknown kid: a token it cannot verify means the key
 * that signed it was not published early enough.
 */
function strictCachingVerifier(issuer: string) {
  let keys: ReturnType<typeof createLocalJWKSet> | undefined;
  let fetchedAt = 0;
  let maxAgeMs = 0;
  const kids = new Set<string>();
  return {
    kids,
    async verify(token: string): Promise<void> {
      if (!keys || Date.now() - fetchedAt >= maxAgeMs) {
        const response = await fetch(`${issuer}/jwks`);
        const jwks = (await response.json()) as { keys: JWK[] };
        maxAgeMs = Number(/max-age=(\d+)/.exec(response.headers.get('cache-control') ?? '')?.[1] ?? 0) * 1000;
        keys = createLocalJWKSet(jwks);
        fetchedAt = Date.now();
        jwks.keys.forEach((key) => kids.add(String(key.kid)));
      }
      await jwtVerify(token, keys, { issuer, audience: API, typ: 'at+jwt' });
    },
  };
}

const tokenOf = async (server: TestServer, client: MachineClient): Promise<string> => {
  const response = await postForm(`${server.url}/token`, { grant_type: 'client_credentials', scope: 'read:projects' }, client);
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return String(response.body['access_token']);
};
const kidOf = (token: string) => String(decodeProtectedHeader(token).kid);
const publishedKids = async (server: TestServer) =>
  ((await (await fetch(`${server.url}/jwks`)).json()) as { keys: JWK[] }).keys.map((key) => String(key.kid));

for (const variant of databaseVariants) {
  describe(`signing-key rotation end to end (${variant.kind})`, { skip: variant.skip }, () => {
    let server: TestServer;
    let machine: MachineClient;
    // The key store's clock: real time, moved ahead by tests that wait only for the key store's own rule.
    let ahead = 0;

    before(async () => {
      // Verifiers may cache /jwks for 1 s, so a next key may sign 2 s after it was published.
      server = await startTestServer(variant.kind, { env: { TOLLGATE_JWKS_MAX_AGE: '1' }, clock: () => Date.now() + ahead });
      machine = await seedMachineClient(server);
    });
    after(() => server?.stop());

    test('two rotations under a stream of token requests: 0 failed requests, 0 failed verifications', async () => {
      // Two kinds of verifier: strict ones that never refetch on an unknown kid,
      // and jose's remote key set with a cache as long as /jwks allows.
      const remote = createRemoteJWKSet(new URL(`${server.issuer}/jwks`), { cacheMaxAge: 1_000 });
      const verifiers = [
        ...[1, 2].map(() => strictCachingVerifier(server.issuer)),
        { verify: (token: string) => jwtVerify(token, remote, { issuer: server.issuer, audience: API, typ: 'at+jwt' }) },
      ];
      const signedBy = new Set<string>();
      let issued = 0;
      let failedRequests = 0;
      let failedVerifications = 0;
      let running = true;

      const stream = async () => {
        while (running) {
          let token: string;
          try {
            token = await tokenOf(server, machine);
            issued += 1;
          } catch {
            failedRequests += 1;
            continue;
          }
          signedBy.add(kidOf(token));
          for (const verifier of verifiers) {
            await verifier.verify(token).catch(() => {
              failedVerifications += 1;
            });
          }
        }
      };
      // Real time passes here (the verifiers' caches run on it), and each key signs
      // at least a third of the tokens asserted below however slow the machine.
      const streamFor = async (ms: number) => {
        const until = Date.now() + ms;
        const enough = issued + 17;
        while (running && (Date.now() < until || issued < enough)) await new Promise((resolve) => setTimeout(resolve, 50));
      };
      const rotateAfter = async (ms: number) => {
        await streamFor(ms);
        await server.keyStore.rotate();
        await server.providerHost.refresh();
      };

      const streams = [stream(), stream(), stream()];
      await rotateAfter(2_500);
      await rotateAfter(2_500);
      await streamFor(1_500);
      running = false;
      await Promise.all(streams);

      console.log(`# rotation stream: ${issued} tokens, ${signedBy.size} signing keys, ${failedRequests} failed requests, ${failedVerifications} failed verifications`);
      assert.equal(failedRequests, 0);
      assert.equal(failedVerifications, 0);
      assert.equal(signedBy.size, 3, 'tokens were signed by the original key and both rotated-in keys');
      assert.ok(issued > 50, `only ${issued} tokens issued`);
    });

    test('a rotation refuses to activate a next key verifiers may not have fetched yet', async () => {
      ahead += 2_100;
      await server.keyStore.rotate();
      await assert.rejects(server.keyStore.rotate(), { code: 'ERR_NEXT_KEY_TOO_NEW' });
      await server.providerHost.refresh();
    });

    test('revoke the active key: it leaves /jwks at once, its tokens stop introspecting, the next key signs', async () => {
      const before = await tokenOf(server, machine);
      const revokedKid = kidOf(before);
      await server.keyStore.revoke(revokedKid);
      await server.providerHost.refresh();

      assert.ok(!(await publishedKids(server)).includes(revokedKid));
      const introspection = await postForm(`${server.url}/token/introspection`, { token: before }, machine);
      assert.deepEqual(introspection.body, { active: false });
      const after = await tokenOf(server, machine);
      assert.notEqual(kidOf(after), revokedKid);
      assert.equal((await postForm(`${server.url}/token/introspection`, { token: after }, machine)).body['active'], true);
      const [row] = await server.database.knex('signing_keys').where({ kid: revokedKid });
      assert.equal(row.state, 'revoked');
      assert.equal(row.sealed_private, null);
    });

    test('an algorithm change happens through rotations: EdDSA signs after the second one', async () => {
      const waitMs = 2_100;
      ahead += waitMs;
      await server.keyStore.rotate({ alg: 'EdDSA' });
      ahead += waitMs;
      await server.keyStore.rotate();
      await server.providerHost.refresh();
      const token = await tokenOf(server, machine);
      assert.equal(decodeProtectedHeader(token).alg, 'EdDSA');
      await strictCachingVerifier(server.issuer).verify(token);
    });
  });

  describe(`key store across restarts, schedules and instances (${variant.kind})`, { skip: variant.skip }, () => {
    test('a restart keeps the same keys', async () => {
      const first = await startTestServer(variant.kind);
      const kids = await publishedKids(first);
      await first.close();
      const second = await startTestServer(variant.kind, { sharing: first });
      try {
        assert.deepEqual((await publishedKids(second)).sort(), kids.sort());
      } finally {
        await second.stop();
        await first.stop();
      }
    });

    test('scheduled rotation and retirement follow the (injected) clock', async () => {
      let now = Date.now();
      const server = await startTestServer(variant.kind, { env: { TOLLGATE_KEY_ROTATION_DAYS: '30' }, clock: () => now });
      try {
        const machine = await seedMachineClient(server);
        const originalKid = kidOf(await tokenOf(server, machine));
        await server.keyMaintenance.runOnce();
        assert.equal(kidOf(await tokenOf(server, machine)), originalKid, 'no rotation before 30 days');

        now += 31 * 86_400_000;
        await server.keyMaintenance.runOnce();
        const rotatedKid = kidOf(await tokenOf(server, machine));
        assert.notEqual(rotatedKid, originalKid);
        assert.ok((await publishedKids(server)).includes(originalKid), 'the old key stays published while retiring');

        now += 2 * 86_400_000;
        await server.keyMaintenance.runOnce();
        assert.ok(!(await publishedKids(server)).includes(originalKid), 'retired after its window');
        const [row] = await server.database.knex('signing_keys').where({ kid: originalKid });
        assert.equal(row.state, 'retired');
        assert.equal(row.sealed_private, null);

        const events = await server.audit.list({ type: 'key.' });
        assert.deepEqual(events.map((event) => [event.type, event.actor]), [['key.retired', 'server'], ['key.rotated', 'server']]);
        assert.equal(events[1]!.subject, rotatedKid);
        assert.equal(events[0]!.detail?.['retired'], originalKid);
      } finally {
        await server.stop();
      }
    });
  });
}

const postgres = databaseVariants.find((variant) => variant.kind === 'postgres')!;
const redisUrl = process.env['TEST_REDIS_URL'];

describe('two instances on one PostgreSQL switch keys together', { skip: postgres.skip }, () => {
  let a: TestServer;
  let b: TestServer;
  let machine: MachineClient;

  before(async () => {
    a = await startTestServer('postgres', { env: { TOLLGATE_JWKS_MAX_AGE: '0' } });
    b = await startTestServer('postgres', { env: { TOLLGATE_JWKS_MAX_AGE: '0' }, sharing: a });
    machine = await seedMachineClient(a);
  });
  after(async () => {
    await b?.stop();
    await a?.stop();
  });

  test('a rotation through A is used by B within 10 s (polling)', async () => {
    const started = Date.now();
    const { activated } = await a.keyStore.rotate();
    await eventually(async () => assert.equal(kidOf(await tokenOf(b, machine)), activated), 10_000);
    console.log(`# instance B switched after ${Date.now() - started} ms (poll)`);
    assert.equal(kidOf(await tokenOf(a, machine)), activated);
  });

  test('a token issued by A introspects at B', async () => {
    const token = await tokenOf(a, machine);
    assert.equal((await postForm(`${b.url}/token/introspection`, { token }, machine)).body['active'], true);
  });
});

describe('with Redis, instances hear of a key change at once', { skip: postgres.skip || (redisUrl ? false : 'Redis suite skipped: TEST_REDIS_URL is not set') }, () => {
  test('a rotation announced on Redis is picked up well before the next poll', async () => {
    const env = { TOLLGATE_JWKS_MAX_AGE: '0', REDIS_URL: redisUrl! };
    const a = await startTestServer('postgres', { env });
    const b = await startTestServer('postgres', { env, sharing: a });
    try {
      const machine = await seedMachineClient(a);
      const started = Date.now();
      const { activated } = await a.keyStore.rotate();
      const { announceKeyChange } = await import('../../src/keys/change-channel.js');
      assert.equal(await announceKeyChange(redisUrl!), true);
      // Announced again on each check: B may not have finished subscribing when the first one went out.
      await eventually(async () => {
        await announceKeyChange(redisUrl!);
        assert.equal(kidOf(await tokenOf(b, machine)), activated);
      }, 2_000);
      console.log(`# instance B switched after ${Date.now() - started} ms (Redis nudge)`);
    } finally {
      await b.stop();
      await a.stop();
    }
  });
});
