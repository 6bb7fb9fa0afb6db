import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import Koa from 'koa';
import { createVerifier, requireScopes, type Principal } from '@tollgate/resource-server';
import { databaseVariants } from '../helpers/databases.js';
import { API, postForm, REPORTS_API, seedMachineClient, startTestServer, type MachineClient, type TestServer } from '../helpers/server.js';

const sqlite = databaseVariants[0]!;

// A resource service protected by @tollgate/resource-server, in front of the real Tollgate.
describe('@tollgate/resource-server in a Koa service, against the real server', { skip: sqlite.skip }, () => {
  let tollgate: TestServer;
  let service: Server;
  let serviceUrl: string;
  let machine: MachineClient;

  before(async () => {
    tollgate = await startTestServer(sqlite.kind, { env: { TOLLGATE_JWKS_MAX_AGE: '1' } });
    machine = await seedMachineClient(tollgate, { resources: [API, REPORTS_API], scopes: ['read:projects', 'read:reports'] });

    const verifier = createVerifier({ issuer: tollgate.issuer, audience: API });
    const app = new Koa();
    app.use(verifier.koa());
    const readProjects = requireScopes('read:projects');
    const writeProjects = requireScopes('write:projects');
    app.use(async (ctx, next) => {
      const guard = ctx.method === 'GET' ? readProjects : writeProjects;
      await (guard as unknown as Koa.Middleware)(ctx, next);
    });
    app.use((ctx) => {
      const principal = ctx.state['principal'] as Principal;
      ctx.body = { subject: principal.subject, clientId: principal.clientId, tenant: principal.tenant, tenantId: principal.tenantId, scopes: principal.scopes, roles: principal.roles };
    });
    service = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => service.once('listening', resolve));
    serviceUrl = `http://127.0.0.1:${(service.address() as AddressInfo).port}/projects`;
  });
  after(async () => {
    service?.close();
    await tollgate?.stop();
  });

  const token = async (resource: string, scope: string) => {
    const response = await postForm(`${tollgate.url}/token`, { grant_type: 'client_credentials', resource, scope }, machine);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return String(response.body['access_token']);
  };
  const call = (method: string, authorization?: string) =>
    fetch(serviceUrl, { method, headers: authorization ? { authorization } : {} });

  test('a valid token reaches the handler with the principal', async () => {
    const response = await call('GET', `Bearer ${await token(API, 'read:projects')}`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), {
      subject: machine.clientId,
      clientId: machine.clientId,
      tenant: 'acme',
      tenantId: machine.tenantId,
      scopes: ['read:projects'],
      roles: ['reader'],
    });
  });

  test('missing scope → 403 insufficient_scope; no token, garbage, another audience → 401', async () => {
    const forbidden = await call('POST', `Bearer ${await token(API, 'read:projects')}`);
    assert.equal(forbidden.status, 403);
    assert.match(forbidden.headers.get('www-authenticate') ?? '', /error="insufficient_scope"/);

    assert.equal((await call('GET')).status, 401);
    const garbage = await call('GET', 'Bearer not-a-token');
    assert.equal(garbage.status, 401);
    assert.match(garbage.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    const otherAudience = await call('GET', `Bearer ${await token(REPORTS_API, 'read:reports')}`);
    assert.equal(otherAudience.status, 401);
  });

  test('after a key rotation, tokens from the new key verify with no failed request', async () => {
    assert.equal((await call('GET', `Bearer ${await token(API, 'read:projects')}`)).status, 200);
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    await tollgate.keyStore.rotate();
    await tollgate.providerHost.refresh();
    for (let i = 0; i < 5; i += 1) {
      assert.equal((await call('GET', `Bearer ${await token(API, 'read:projects')}`)).status, 200);
    }
  });
});
