import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import Provider from 'oidc-provider';
import { routeOfProvider } from '../../src/provider/endpoints.js';
import { connectTestRedis, createTestGate, gateKindOf, post, REDIS_SKIP, RIGHT_SECRET, startApp, type TestApp } from './fixture.js';
import { CLIENT_ENDPOINT_PATHS, routedSpellings, unroutedSpellings } from './spellings.js';

const LIMIT = { max: 2, durationMs: 60_000 };

describe('which endpoint a request is, as oidc-provider routes it', () => {
  test('every spelling the provider routes to a client-authenticating endpoint is gated as one', () => {
    for (const path of CLIENT_ENDPOINT_PATHS) {
      for (const spelling of routedSpellings(path)) assert.equal(gateKindOf({ method: 'POST', path: spelling }), 'client_authentication', spelling);
    }
  });

  test('spellings the provider does not route are not its endpoints (they reach no client authentication)', () => {
    for (const path of CLIENT_ENDPOINT_PATHS) {
      for (const spelling of unroutedSpellings(path)) assert.equal(gateKindOf({ method: 'POST', path: spelling }), undefined, spelling);
    }
  });

  test('the authorization endpoint is limited per address in every spelling; other endpoints and methods are not gated', () => {
    for (const spelling of routedSpellings('/auth')) assert.equal(gateKindOf({ method: 'GET', path: spelling }), 'address_only', spelling);
    assert.equal(gateKindOf({ method: 'GET', path: '/token' }), undefined);
    assert.equal(gateKindOf({ method: 'OPTIONS', path: '/token' }), undefined, 'a CORS preflight authenticates nobody');
    assert.equal(gateKindOf({ method: 'GET', path: '/jwks' }), undefined);
    assert.equal(gateKindOf({ method: 'GET', path: '/.well-known/openid-configuration' }), undefined);
  });

  test('an oidc-provider whose router is not where this was written for fails at start-up, in one line', () => {
    assert.throws(() => routeOfProvider(Object.create(Provider.prototype) as Provider), /oidc-provider: its router .* is missing; this Tollgate was written for oidc-provider 9\.13/);
  });
});

/** The same behaviour, whichever store holds the counters. */
function everySpellingGated(store: () => { redis?: Redis; prefix?: string }) {
  let app: TestApp;
  before(async () => {
    app = await startApp(createTestGate({ requestLimit: LIMIT, failureLimit: { max: 3, durationMs: 60_000 }, ...store() }).middleware);
  });
  after(() => app.close());

  test('each spelling of each client-authenticating endpoint meets the per-address limit: 429 with RateLimit-* headers', async () => {
    let address = 0;
    for (const path of CLIENT_ENDPOINT_PATHS) {
      for (const spelling of routedSpellings(path)) {
        const ip = `198.51.100.${(address += 1)}`;
        for (let sent = 1; sent <= LIMIT.max; sent += 1) {
          const answer = await post(app, spelling, { ip });
          assert.equal(answer.status, 401, spelling);
          assert.equal(answer.headers.get('ratelimit-remaining'), String(LIMIT.max - sent), spelling);
        }
        const limited = await post(app, spelling, { ip });
        assert.equal(limited.status, 429, spelling);
        assert.equal(limited.body['error'], 'rate_limited');
        assert.equal(limited.headers.get('ratelimit-limit'), String(LIMIT.max));
        assert.equal(limited.headers.get('ratelimit-remaining'), '0');
        assert.ok(Number(limited.headers.get('retry-after')) >= 1, spelling);
      }
    }
  });

  test('a client locked through one spelling is locked through every other spelling of every endpoint', async () => {
    for (let failure = 0; failure < 3; failure += 1) assert.equal((await post(app, '/Token/', { ip: `192.0.3.${failure}`, clientId: 'victim' })).status, 401);
    let address = 0;
    for (const path of CLIENT_ENDPOINT_PATHS) {
      for (const spelling of routedSpellings(path)) {
        const answer = await post(app, spelling, { ip: `192.0.2.${(address += 10)}`, clientId: 'victim', secret: RIGHT_SECRET });
        assert.equal(answer.status, 429, spelling);
        assert.match(String(answer.body['error_description']), /failed client authentications/);
      }
    }
  });
}

describe('every spelling gated, memory', () => {
  everySpellingGated(() => ({}));
});

describe('every spelling gated, Redis', { skip: REDIS_SKIP }, () => {
  let connection: Awaited<ReturnType<typeof connectTestRedis>>;
  before(async () => {
    connection = await connectTestRedis();
  });
  after(() => connection.close());
  everySpellingGated(() => ({ redis: connection.redis, prefix: connection.prefix }));
});
