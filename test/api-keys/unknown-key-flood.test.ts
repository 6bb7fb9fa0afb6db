import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { formatApiKey, generateApiKey, parseApiKey } from '../../src/api-keys/format.js';
import { argon2Verifications } from '../../src/registry/secrets.js';
import { databaseVariants } from '../helpers/databases.js';
import { API, postForm, seedMachineClient, startTestServer, type MachineClient, type TestServer } from '../helpers/server.js';

/** Well-formed keys with valid checksums and random ids: what an attacker can make for free. */
const fakeKeys = (count: number): string[] => Array.from({ length: count }, () => generateApiKey('live').key);

const sqlite = databaseVariants.find((variant) => variant.kind === 'sqlite')!;

describe('a flood of made-up API keys costs the server no argon2 (issue 16.4)', { timeout: 60_000 }, () => {
  let server: TestServer;
  let resourceService: MachineClient;

  before(async () => {
    server = await startTestServer(sqlite.kind);
    resourceService = await seedMachineClient(server, { scopes: [], introspectAudiences: [API] });
  });
  after(() => server?.stop());

  const introspect = (token: string) => postForm(`${server.url}/token/introspection`, { token, token_type_hint: 'api_key' }, resourceService);

  test('200 unknown ids: every answer is {"active":false}, zero argon2 verifications; a wrong secret still pays one; a real key still works', async () => {
    const real = await server.apiKeys.keys.create({ tenant: 'acme', name: 'real', resources: [API], scopes: ['read:projects'] });
    // The service's own client secret is verified (and then cached) on its first call.
    assert.equal((await introspect(real.key)).body['active'], true);

    const before = argon2Verifications();
    const keys = fakeKeys(200);
    for (let start = 0; start < keys.length; start += 20) {
      const answers = await Promise.all(keys.slice(start, start + 20).map(introspect));
      for (const answer of answers) {
        assert.equal(answer.status, 200);
        assert.deepEqual(answer.body, { active: false });
      }
    }
    assert.equal(argon2Verifications() - before, 0, 'an unknown id must be refused before any argon2');

    // The same answer as a wrong secret for an id that exists, which does pay argon2.
    const wrongSecret = formatApiKey({ ...parseApiKey(real.key)!, secret: parseApiKey(generateApiKey().key)!.secret });
    assert.deepEqual((await introspect(wrongSecret)).body, { active: false });
    assert.equal(argon2Verifications() - before, 1);

    // A key created after the flood, never cached anywhere, is still accepted.
    const fresh = await server.apiKeys.keys.create({ tenant: 'acme', name: 'fresh', resources: [API], scopes: ['read:projects'] });
    const answer = await introspect(fresh.key);
    assert.equal(answer.status, 200);
    assert.equal(answer.body['active'], true);
    assert.equal(answer.body['sub'], fresh.apiKey.id);
  });

  test('an unknown id is answered after a wrong secret\'s typical time, waiting on a timer rather than the CPU', async () => {
    const real = await server.apiKeys.keys.create({ tenant: 'acme', name: 'timed', resources: [API], scopes: [] });
    const wrongSecret = formatApiKey({ ...parseApiKey(real.key)!, secret: parseApiKey(generateApiKey().key)!.secret });
    const time = async (key: string) => {
      const started = performance.now();
      await introspect(key);
      return performance.now() - started;
    };
    const wrong: number[] = [];
    const unknown: number[] = [];
    for (let round = 0; round < 5; round += 1) {
      wrong.push(await time(wrongSecret));
      unknown.push(await time(fakeKeys(1)[0]!));
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[2]!;
    // Not instant (which would tell an attacker the id does not exist): at least a third of a wrong secret's time.
    assert.ok(median(unknown) >= median(wrong) / 3, `unknown ${median(unknown).toFixed(1)} ms vs wrong secret ${median(wrong).toFixed(1)} ms`);
  });
});
