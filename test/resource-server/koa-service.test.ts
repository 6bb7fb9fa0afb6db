import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import Koa from 'koa';
import { generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { createVerifier, requireRoles, requireScopes, requireTenant, type Principal, type ScopeGuard } from '@tollgate/resource-server';
import { databaseVariants } from '../helpers/databases.js';
import { privateJwks } from '../keys/fixture.js';
import { API, eventually, postForm, REPORTS_API, seedMachineClient, startTestServer, type MachineClient, type TestServer } from '../helpers/server.js';

const sqlite = databaseVariants[0]!;
const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

// A resource service protected by @tollgate/resource-server, in front of the real Tollgate.
describe('@tollgate/resource-server in a Koa service, against the real server', { skip: sqlite.skip }, () => {
  let tollgate: TestServer;
  let service: Server;
  let serviceUrl: string;
  let machine: MachineClient;
  // The key store's clock: real time, moved ahead instead of waiting for a next key to be old enough.
  let ahead = 0;

  before(async () => {
    tollgate = await startTestServer(sqlite.kind, { env: { TOLLGATE_JWKS_MAX_AGE: '1' }, clock: () => Date.now() + ahead });
    machine = await seedMachineClient(tollgate, { resources: [API, REPORTS_API], scopes: ['read:projects', 'read:reports'] });
    const introspector = await seedMachineClient(tollgate, { scopes: [], introspectAudiences: [API] });

    const verifier = createVerifier({
      issuer: tollgate.issuer,
      audience: API,
      introspection: { clientId: introspector.clientId, clientSecret: introspector.clientSecret, cacheTtl: 1, negativeCacheTtl: 1 },
    });
    const routes: Record<string, ScopeGuard> = {
      'GET /projects': requireScopes('read:projects'),
      'POST /projects': requireScopes('write:projects'),
      'GET /admin': requireRoles('admin'),
      'GET /tenants/acme': requireTenant((ctx) => ctx.path?.split('/')[2]),
      'GET /tenants/globex': requireTenant((ctx) => ctx.path?.split('/')[2]),
    };
    const app = new Koa();
    app.use(verifier.koa());
    app.use(async (ctx, next) => {
      const guard = routes[`${ctx.method} ${ctx.path}`];
      if (!guard) return;
      await (guard as unknown as Koa.Middleware)(ctx, next);
    });
    app.use((ctx) => {
      const principal = ctx.state['principal'] as Principal;
      ctx.body = { type: principal.type, subject: principal.subject, clientId: principal.clientId, tenant: principal.tenant, tenantId: principal.tenantId, scopes: principal.scopes, roles: principal.roles };
    });
    service = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => service.once('listening', resolve));
    serviceUrl = `http://127.0.0.1:${(service.address() as AddressInfo).port}`;
  });
  after(async () => {
    service?.close();
    await tollgate?.stop();
  });

  const token = async (resource = API, scope = 'read:projects') => {
    const response = await postForm(`${tollgate.url}/token`, { grant_type: 'client_credentials', resource, scope }, machine);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return String(response.body['access_token']);
  };
  const call = (route: string, headers: Record<string, string> = {}) => {
    const [method, path] = route.split(' ');
    return fetch(`${serviceUrl}${path}`, { method, headers });
  };
  const bearer = (value: string) => ({ authorization: `Bearer ${value}` });

  test('a valid token reaches the handler with tenant, scopes and roles', async () => {
    const response = await call('GET /projects', bearer(await token()));
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), {
      type: 'access_token',
      subject: machine.clientId,
      clientId: machine.clientId,
      tenant: 'acme',
      tenantId: machine.tenantId,
      scopes: ['read:projects'],
      roles: ['reader'],
    });
  });

  test('guards: missing scope, missing role, another tenant → 403 insufficient_scope; the right tenant passes', async () => {
    const valid = await token();
    const forbidden = await call('POST /projects', bearer(valid));
    assert.equal(forbidden.status, 403);
    assert.match(forbidden.headers.get('www-authenticate') ?? '', /error="insufficient_scope".*scope="write:projects"/);
    assert.equal((await call('GET /admin', bearer(valid))).status, 403);
    assert.equal((await call('GET /tenants/globex', bearer(valid))).status, 403);
    assert.equal((await call('GET /tenants/acme', bearer(valid))).status, 200);
  });

  test('no credentials → 401 with a bare Bearer challenge', async () => {
    const response = await call('GET /projects');
    assert.equal(response.status, 401);
    assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer realm="/);
  });

  test('forged, tampered, expired, premature, mistyped and misaddressed tokens → 401 invalid_token', async () => {
    const valid = await token();
    const [header, payload, signature] = valid.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const { signingKeys, publicJwks } = await tollgate.keyStore.current();
    const [active] = privateJwks(signingKeys) as [JWK];
    const activeKey = await importJWK(active, active.alg);
    const now = Math.floor(Date.now() / 1000);
    const sign = (overrides: Record<string, unknown>, protectedHeader: Record<string, unknown> = {}) =>
      new SignJWT({ ...claims, ...overrides })
        .setProtectedHeader({ alg: active.alg!, kid: active.kid!, typ: 'at+jwt', ...protectedHeader })
        .sign(activeKey);
    const foreign = await generateKeyPair('ES256');
    const hsWithPublicKey = (() => {
      const input = `${b64({ alg: 'HS256', kid: active.kid, typ: 'at+jwt' })}.${payload}`;
      const mac = createHmac('sha256', JSON.stringify(publicJwks[0])).update(input).digest('base64url');
      return `${input}.${mac}`;
    })();

    const refused: Record<string, string> = {
      'alg none': `${b64({ alg: 'none', kid: active.kid, typ: 'at+jwt' })}.${payload}.`,
      'tampered payload': `${header}.${b64({ ...claims, scope: 'read:projects write:projects' })}.${signature}`,
      'unknown key with a known kid': await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: active.kid!, typ: 'at+jwt' }).sign(foreign.privateKey),
      'wrong audience': await token(REPORTS_API, 'read:reports'),
      'wrong issuer': await sign({ iss: 'https://evil.example' }),
      expired: await sign({ iat: now - 3600, exp: now - 600 }),
      'not yet valid': await sign({ nbf: now + 3600 }),
      'typ JWT': await sign({}, { typ: 'JWT' }),
      'HS256 signed with the public key': hsWithPublicKey,
    };
    for (const [name, forged] of Object.entries(refused)) {
      const response = await call('GET /projects', bearer(forged));
      assert.equal(response.status, 401, name);
      assert.match(response.headers.get('www-authenticate') ?? '', /error="invalid_token"/, name);
      assert.doesNotMatch(await response.text(), new RegExp(forged.slice(-20).replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')), `${name}: the token is not echoed`);
    }
  });

  test('API keys via X-API-Key or Authorization: ApiKey → principal; revoked and expired keys are refused', async () => {
    const { key, apiKey } = await tollgate.apiKeys.keys.create({ tenant: 'acme', resources: [API], name: 'partner', scopes: ['read:projects'] });
    for (const headers of [{ 'x-api-key': key }, { authorization: `ApiKey ${key}` }] as Record<string, string>[]) {
      const response = await call('GET /projects', headers);
      assert.equal(response.status, 200);
      const body = (await response.json()) as Record<string, unknown>;
      assert.equal(body['type'], 'api_key');
      assert.equal(body['subject'], apiKey.id);
      assert.equal(body['tenant'], 'acme');
    }
    await tollgate.apiKeys.keys.revoke(apiKey.id);
    await eventually(async () => assert.equal((await call('GET /projects', { 'x-api-key': key })).status, 401), 3_000);

    const expiring = await tollgate.apiKeys.keys.create({ tenant: 'acme', resources: [API], name: 'expiring', scopes: ['read:projects'], expiresIn: '60' });
    assert.equal((await call('GET /projects', { 'x-api-key': expiring.key })).status, 200);
    // Time passes: the key's expiry is now behind us.
    await tollgate.database.knex('api_keys').where({ id: expiring.apiKey.id }).update({ expires_at: Date.now() - 1_000 });
    await eventually(async () => assert.equal((await call('GET /projects', { 'x-api-key': expiring.key })).status, 401), 3_000);
  });

  test('after a key rotation, tokens from the new key verify with no failed request', async () => {
    assert.equal((await call('GET /projects', bearer(await token()))).status, 200);
    // The next key may sign once it is 2 s old by the key store's clock.
    ahead += 2_100;
    await tollgate.keyStore.rotate();
    await tollgate.providerHost.refresh();
    for (let i = 0; i < 5; i += 1) {
      assert.equal((await call('GET /projects', bearer(await token()))).status, 200);
    }
  });
});
