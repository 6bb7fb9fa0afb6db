import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { seedApps } from '../authcode/fixture.js';
import { postForm, seedMachineClient, startTestServer, type MachineClient, type TestServer } from '../helpers/server.js';
import { CLIENT_ENDPOINT_PATHS, routedSpellings, unroutedSpellings } from './spellings.js';

const REQUEST_LIMIT = 2;
const FAILURE_LIMIT = 3;
const redisUrl = process.env['TEST_REDIS_URL'];

/** The real server, in front of oidc-provider: no spelling of a client-authenticating endpoint escapes the gate. */
function everySpellingAtTheRealServer(extraEnv: () => Record<string, string>) {
  let server: TestServer;
  let machine: MachineClient;
  // Counters in a shared Redis outlive a run by a minute: addresses of this run's own.
  const network = `10.${randomInt(256)}.${randomInt(256)}`;
  let host = 0;
  const nextIp = () => `${network}.${(host += 1)}`;
  // Under heavy load a Redis reply can miss its 250 ms timeout; the limits then count in memory for a second, and a failure says so.
  const logLines: string[] = [];
  const redisOutages = () => logLines.filter((line) => line.includes('Redis unavailable')).join('\n');

  before(async () => {
    server = await startTestServer('sqlite', {
      logLines,
      env: {
        TOLLGATE_RATE_LIMITS: 'on',
        TOLLGATE_TRUST_PROXY: 'loopback',
        TOLLGATE_RATE_LIMIT_IP: `${REQUEST_LIMIT}/min`,
        TOLLGATE_RATE_LIMIT_AUTH_FAILURES: `${FAILURE_LIMIT}/min`,
        TOLLGATE_RATE_LIMIT_AUTH_FAILURES_IP: '1000/min',
        ...extraEnv(),
      },
    });
    machine = await seedMachineClient(server);
  });
  after(() => server?.stop());

  const send = (path: string, ip: string, auth?: MachineClient) =>
    postForm(`${server.url}${path}`, { grant_type: 'client_credentials' }, auth, { 'x-forwarded-for': ip });

  test('every spelling oidc-provider routes to token, introspection, revocation or PAR: 429 with RateLimit-* headers after the per-address limit', async () => {
    for (const path of CLIENT_ENDPOINT_PATHS) {
      for (const spelling of routedSpellings(path)) {
        const ip = nextIp();
        for (let sent = 1; sent <= REQUEST_LIMIT; sent += 1) {
          const answer = await send(spelling, ip);
          assert.notEqual(answer.status, 429, spelling);
          assert.notEqual(answer.status, 404, `${spelling} is the provider's endpoint`);
          assert.equal(answer.headers.get('ratelimit-remaining'), String(REQUEST_LIMIT - sent), spelling);
        }
        const limited = await send(spelling, ip);
        assert.equal(limited.status, 429, `${spelling} ${redisOutages()}`);
        assert.equal(limited.body['error'], 'rate_limited', spelling);
        assert.equal(limited.headers.get('ratelimit-limit'), String(REQUEST_LIMIT), spelling);
        assert.ok(Number(limited.headers.get('retry-after')) >= 1, spelling);
      }
    }
  });

  test('spellings oidc-provider does not route never reach client authentication: 404, however many', async () => {
    for (const path of CLIENT_ENDPOINT_PATHS) {
      for (const spelling of unroutedSpellings(path)) {
        const ip = nextIp();
        for (let sent = 0; sent <= REQUEST_LIMIT; sent += 1) {
          const answer = await send(spelling, ip, { ...machine, clientSecret: 'wrong' });
          assert.equal(answer.status, 404, spelling);
          assert.equal(answer.body['error'], 'not_found', spelling);
        }
      }
    }
  });

  test('a client locked by wrong secrets through one spelling is locked through every spelling of every endpoint', async () => {
    const victim = await seedMachineClient(server);
    for (let failure = 0; failure < FAILURE_LIMIT; failure += 1) {
      assert.equal((await send('/TOKEN/', nextIp(), { ...victim, clientSecret: 'wrong' })).status, 401);
    }
    for (const path of CLIENT_ENDPOINT_PATHS) {
      for (const spelling of routedSpellings(path)) {
        const answer = await send(spelling, nextIp(), victim);
        assert.equal(answer.status, 429, `${spelling} ${redisOutages()}`);
        assert.match(String(answer.body['error_description']), /failed client authentications/, spelling);
      }
    }
  });

  test('GET /auth in every spelling is limited per address, so a flood stores no more interactions than the limit', async () => {
    const apps = await seedApps(server);
    const interactions = async () => Number((await server.database.knex('oidc_models').where({ model: 'Interaction' }).count({ n: '*' }))[0]!['n']);
    const query = new URLSearchParams({
      client_id: apps.publicClientId,
      response_type: 'code',
      redirect_uri: apps.redirectUri,
      scope: 'openid',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    });
    for (const spelling of routedSpellings('/auth')) {
      const ip = nextIp();
      const before = await interactions();
      const statuses: number[] = [];
      for (let sent = 0; sent <= REQUEST_LIMIT + 2; sent += 1) {
        const answer = await fetch(`${server.url}${spelling}?${query}`, { redirect: 'manual', headers: { 'x-forwarded-for': ip } });
        statuses.push(answer.status);
        if (answer.status === 429) assert.equal(answer.headers.get('ratelimit-remaining'), '0');
      }
      assert.deepEqual(statuses, [303, 303, 429, 429, 429], spelling);
      assert.equal((await interactions()) - before, REQUEST_LIMIT, `${spelling}: one interaction per admitted request`);
    }
  });
}

describe('every spelling at the real server, memory limits', () => {
  everySpellingAtTheRealServer(() => ({}));
});

describe('every spelling at the real server, Redis limits', { skip: redisUrl ? false : 'Redis suite skipped: TEST_REDIS_URL is not set' }, () => {
  everySpellingAtTheRealServer(() => ({ REDIS_URL: redisUrl! }));
});
