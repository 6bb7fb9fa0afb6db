import assert from 'node:assert/strict';
import { randomInt, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import * as oidc from 'openid-client';
import { argon2Verifications } from '../../src/registry/secrets.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { startRelay, type TcpRelay } from '../helpers/tcp-relay.js';
import { openSignInPage, PASSWORD, publicClientConfig, seedApps, submitSignIn, type AppFixture } from './fixture.js';

const PER_ACCOUNT = 10;
const PER_ADDRESS = 15;
const BURST = 40;
const redisUrl = process.env['TEST_REDIS_URL'];

interface Answer {
  readonly status: number;
  readonly body: string;
}

const countStatuses = (answers: readonly Answer[]) => {
  const counts: Record<number, number> = {};
  for (const { status } of answers) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
};

const stores: readonly { name: string; env: Record<string, string>; skip: string | false }[] = [
  { name: 'memory', env: {}, skip: false },
  { name: 'Redis', env: redisUrl ? { REDIS_URL: redisUrl } : {}, skip: redisUrl ? false : 'Redis suite skipped: TEST_REDIS_URL is not set' },
];

for (const store of stores) {
  describe(`parallel sign-in bursts through the login form (${store.name} limits)`, { skip: store.skip, timeout: 60_000 }, () => {
    let server: TestServer;
    let apps: AppFixture;
    let config: oidc.Configuration;
    // Redis counters outlive a run: every run signs in from addresses and accounts of its own.
    const run = `${randomInt(1, 250)}.${randomInt(1, 250)}`;
    const address = (host: number) => `10.${run}.${host}`;
    const account = (name: string) => `${name}-${randomUUID()}@acme.test`;

    before(async () => {
      server = await startTestServer('sqlite', {
        env: {
          TOLLGATE_RATE_LIMITS: 'on',
          TOLLGATE_RATE_LIMIT_AUTH_FAILURES: `${PER_ACCOUNT}/min`,
          TOLLGATE_RATE_LIMIT_AUTH_FAILURES_IP: `${PER_ADDRESS}/min`,
          // The request limit is not under test here: every page of the bursts comes from 127.0.0.1.
          TOLLGATE_RATE_LIMIT_IP: '100000/min',
          // The test is the trusted proxy: each submission names its address in X-Forwarded-For.
          TOLLGATE_TRUST_PROXY: '1',
          ...store.env,
        },
      });
      apps = await seedApps(server);
      config = await publicClientConfig(server, apps.publicClientId);
    });
    after(() => server?.stop());

    const openPage = () => openSignInPage(server, config, apps.redirectUri);

    /** Opens every page first, then submits them all at once: the burst is in flight together. */
    async function burst(forms: readonly { email: string; password: string; ip: string }[]): Promise<{ answers: Answer[]; verifications: number }> {
      const pages = await Promise.all(forms.map(() => openPage()));
      const verificationsBefore = argon2Verifications();
      const answers = await Promise.all(forms.map((form, index) => submitSignIn(pages[index]!, form)));
      return { answers, verifications: argon2Verifications() - verificationsBefore };
    }

    function assertOnlyTheLimitPassed(answers: readonly Answer[], verifications: number, limit: number): void {
      const counts = countStatuses(answers);
      assert.deepEqual(counts, { 401: limit, 429: answers.length - limit }, 'exactly the limit is told "wrong password", the rest "too many attempts"');
      assert.equal(verifications, limit, 'no more than the limit reach argon2');
      for (const answer of answers) {
        assert.match(answer.body, answer.status === 401 ? /Incorrect email address or password/ : /Too many attempts/);
      }
    }

    test(`${BURST} parallel wrong passwords for one account, each from its own address: ${PER_ACCOUNT} reach argon2, the rest are throttled`, async () => {
      const email = account('burst-victim');
      await apps.users.create({ tenant: 'acme', email, password: PASSWORD });
      const forms = Array.from({ length: BURST }, (_, index) => ({ email, password: `guess ${index}`, ip: address(index + 1) }));
      const { answers, verifications } = await burst(forms);
      assertOnlyTheLimitPassed(answers, verifications, PER_ACCOUNT);
      // The account is locked now, even for its owner with the right password.
      assert.equal((await submitSignIn(await openPage(), { email, password: PASSWORD, ip: address(200) })).status, 429);
    });

    test(`${BURST} parallel wrong passwords from one address, each for another account (known or not): ${PER_ADDRESS} reach argon2`, async () => {
      const known = account('known');
      await apps.users.create({ tenant: 'acme', email: known, password: PASSWORD });
      const forms = Array.from({ length: BURST }, (_, index) => ({
        email: index % 2 === 0 ? account(`stuffed-${index}`) : known.replace('@', `+${index}@`),
        password: 'guess',
        ip: address(201),
      }));
      const { answers, verifications } = await burst(forms);
      assertOnlyTheLimitPassed(answers, verifications, PER_ADDRESS);
    });

    test('a successful sign-in gives its reservation back: an owner who signs in many times is never locked', async () => {
      const email = account('regular');
      await apps.users.create({ tenant: 'acme', email, password: PASSWORD });
      const ip = address(202);
      for (let signIn = 0; signIn < PER_ACCOUNT * 2; signIn += 1) {
        const answer = await submitSignIn(await openPage(), { email, password: PASSWORD, ip });
        assert.ok(answer.status >= 300 && answer.status < 400, `sign-in ${signIn + 1} answered ${answer.status}`);
      }
      // Failures still count from zero for the account: its limit, then the lock.
      const failures: number[] = [];
      for (let attempt = 0; attempt <= PER_ACCOUNT; attempt += 1) {
        failures.push((await submitSignIn(await openPage(), { email, password: 'wrong', ip })).status);
      }
      assert.deepEqual(failures, [...Array.from({ length: PER_ACCOUNT }, () => 401), 429]);
    });
  });
}

describe('sign-in when Redis goes away and TOLLGATE_RATE_LIMIT_REDIS_DOWN=closed', { skip: redisUrl ? false : 'Redis suite skipped: TEST_REDIS_URL is not set', timeout: 60_000 }, () => {
  let server: TestServer;
  let relay: TcpRelay;
  let apps: AppFixture;
  let config: oidc.Configuration;

  before(async () => {
    relay = await startRelay(new URL(redisUrl!), 6379);
    const database = new URL(redisUrl!).pathname || '/0';
    server = await startTestServer('sqlite', {
      env: { TOLLGATE_RATE_LIMITS: 'on', TOLLGATE_RATE_LIMIT_REDIS_DOWN: 'closed', REDIS_URL: `redis://127.0.0.1:${relay.port}${database}` },
    });
    apps = await seedApps(server);
    config = await publicClientConfig(server, apps.publicClientId);
  });
  after(async () => {
    await server?.stop();
    await relay?.cut();
  });

  test('a form opened before Redis went away is refused with 503 and Retry-After, before argon2, as token requests are', async () => {
    const email = `closed-${randomUUID()}@acme.test`;
    await apps.users.create({ tenant: 'acme', email, password: PASSWORD });
    const page = await openSignInPage(server, config, apps.redirectUri);
    await relay.cut();
    const verificationsBefore = argon2Verifications();
    const answer = await submitSignIn(page, { email, password: PASSWORD, ip: '127.0.0.1' });
    assert.equal(answer.status, 503);
    assert.equal(answer.headers.get('retry-after'), '1');
    assert.match(answer.body, /Sign-in is unavailable for a moment/);
    assert.equal(argon2Verifications() - verificationsBefore, 0);
  });
});
