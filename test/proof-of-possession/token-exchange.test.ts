import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair } from 'jose';
import * as oauth from 'oauth4webapi';
import { createVerifier } from '@tollgate/resource-server';
import { databaseVariants } from '../helpers/databases.js';
import { API, postForm, REPORTS_API, seedMachineClient, startTestServer, type MachineClient, type TestServer } from '../helpers/server.js';
import { discover, expectOAuthError, insecure, seedClient } from './key-clients.js';

const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';
const SHORT_API = 'https://short.acme.test';
const OPAQUE_API = 'https://opaque.acme.test';

for (const variant of databaseVariants) {
  describe(`token exchange, RFC 8693 (${variant.kind})`, { skip: variant.skip }, () => {
    let server: TestServer;
    let as: oauth.AuthorizationServer;
    /** Holds tokens for API (and the short-lived and opaque servers): the subject. */
    let caller: MachineClient;
    /** The service behind API: may exchange for REPORTS_API, read:reports only. */
    let service: { clientId: string; clientSecret: string };

    before(async () => {
      server = await startTestServer(variant.kind);
      await seedMachineClient(server);
      await server.registry.resources.create({ audience: SHORT_API, scopes: ['read:short'], access_token_ttl: 60, tenant: 'acme' });
      await server.registry.resources.create({ audience: OPAQUE_API, scopes: ['read:things'], token_format: 'opaque', tenant: 'acme' });
      caller = await seedMachineClient(server, { resources: [API, SHORT_API, OPAQUE_API], scopes: ['read:projects', 'read:short', 'read:things'], roles: ['caller'] });
      const created = await seedClient(server, { token_exchange: { audiences: [REPORTS_API], scopes: ['read:reports'] } });
      service = { clientId: created.clientId, clientSecret: created.clientSecret! };
      as = await discover(server);
    });
    after(() => server?.stop());

    const subjectToken = async (resource = API, scope = 'read:projects', client: MachineClient = caller) => {
      const response = await postForm(`${server.url}/token`, { grant_type: 'client_credentials', resource, scope }, client);
      assert.equal(response.status, 200);
      return String(response.body['access_token']);
    };

    const exchange = async (params: Record<string, string>, as_ = service, options: oauth.TokenEndpointRequestOptions = {}) => {
      const client: oauth.Client = { client_id: as_.clientId };
      const response = await oauth.genericTokenEndpointRequest(as, client, oauth.ClientSecretBasic(as_.clientSecret), GRANT, new URLSearchParams(params), { ...insecure, ...options });
      return oauth.processGenericTokenEndpointResponse(as, client, response);
    };

    test('discovery lists the token-exchange grant', () => {
      assert.ok(as.grant_types_supported?.includes(GRANT));
      assert.ok(as.grant_types_supported?.includes('client_credentials'));
    });

    test('a service exchanges a token for API for a narrower token for REPORTS_API, recorded as the actor', async () => {
      const subject = await subjectToken();
      const issued = await exchange({ subject_token: subject, subject_token_type: ACCESS_TOKEN, audience: REPORTS_API, scope: 'read:reports' });
      assert.equal(issued['issued_token_type'], ACCESS_TOKEN);
      assert.equal(issued.token_type, 'bearer');
      assert.equal(issued.scope, 'read:reports');

      // What the reports API sees, through the resource-server package.
      const principal = await createVerifier({ issuer: server.issuer, audience: REPORTS_API }).verify({ authorization: `Bearer ${issued.access_token}` });
      assert.equal(principal.subject, caller.clientId);
      assert.equal(principal.tenantId, caller.tenantId);
      assert.deepEqual(principal.scopes, ['read:reports']);
      assert.deepEqual(principal.roles, ['caller']);
      const claims: Record<string, unknown> = principal.type === 'access_token' ? principal.claims : {};
      assert.equal(claims['client_id'], service.clientId);
      assert.deepEqual(claims['act'], { sub: service.clientId });
      assert.ok(Number(claims['exp']) <= Number(decodeJwt(subject).exp), 'never outlives the subject token');

      await server.auditBatches.flush();
      const events = await server.audit.list({ type: 'token.issued', subject: service.clientId });
      assert.equal(events[0]?.detail?.['grant_type'], GRANT);
    });

    test('exchanging an exchanged token nests the earlier actor', async () => {
      const first = await exchange({ subject_token: await subjectToken(), subject_token_type: ACCESS_TOKEN, audience: REPORTS_API });
      const relay = await seedClient(server, { token_exchange: { audiences: [API], scopes: ['read:projects'] } });
      const second = await exchange(
        { subject_token: first.access_token, subject_token_type: ACCESS_TOKEN, resource: API },
        { clientId: relay.clientId, clientSecret: relay.clientSecret! },
      );
      const claims = decodeJwt(second.access_token);
      assert.equal(claims.sub, caller.clientId);
      assert.equal(claims.aud, API);
      assert.deepEqual(claims['act'], { sub: relay.clientId, act: { sub: service.clientId } });
    });

    test('an audience outside the policy is invalid_target; a scope beyond it is invalid_scope', async () => {
      const subject = await subjectToken();
      await expectOAuthError(exchange({ subject_token: subject, subject_token_type: ACCESS_TOKEN, audience: API }), 400, 'invalid_target');
      await expectOAuthError(exchange({ subject_token: subject, subject_token_type: ACCESS_TOKEN, audience: 'https://nowhere.test' }), 400, 'invalid_target');
      await expectOAuthError(exchange({ subject_token: subject, subject_token_type: ACCESS_TOKEN, audience: REPORTS_API, scope: 'read:reports write:projects' }), 400, 'invalid_scope');
    });

    test('a missing or unsupported subject_token_type, or an unusable subject token, is invalid_request', async () => {
      const subject = await subjectToken();
      await expectOAuthError(exchange({ subject_token: subject, audience: REPORTS_API }), 400, 'invalid_request');
      await expectOAuthError(exchange({ subject_token: subject, subject_token_type: 'urn:ietf:params:oauth:token-type:id_token' }), 400, 'invalid_request');
      await expectOAuthError(exchange({ subject_token: 'not-a-token', subject_token_type: ACCESS_TOKEN }), 400, 'invalid_request');
      const [header, payload] = subject.split('.');
      await expectOAuthError(exchange({ subject_token: `${header}.${payload}.forged`, subject_token_type: ACCESS_TOKEN }), 400, 'invalid_request');
      await expectOAuthError(exchange({ subject_token: subject, subject_token_type: ACCESS_TOKEN, actor_token: subject, actor_token_type: ACCESS_TOKEN }), 400, 'invalid_request');
    });

    test('a subject token of another tenant, or of a client whose tokens were revoked, is invalid_request', async () => {
      const foreign = await seedMachineClient(server, { tenant: 'globex' });
      await expectOAuthError(exchange({ subject_token: await subjectToken(API, 'read:projects', foreign), subject_token_type: ACCESS_TOKEN }), 400, 'invalid_request');

      const doomed = await seedMachineClient(server);
      const revoked = await subjectToken(API, 'read:projects', doomed);
      await server.registry.clients.revokeTokens(doomed.clientId);
      await expectOAuthError(exchange({ subject_token: revoked, subject_token_type: ACCESS_TOKEN }), 400, 'invalid_request');
    });

    test('a client without a token-exchange policy may not use the grant', async () => {
      const plain = await seedMachineClient(server);
      const refused = await postForm(`${server.url}/token`, { grant_type: GRANT, subject_token: await subjectToken(), subject_token_type: ACCESS_TOKEN }, plain);
      assert.equal(refused.status, 400);
      assert.equal(refused.body['error'], 'invalid_request');
      assert.equal(refused.body['access_token'], undefined);
    });

    test('the exchanged token lives no longer than the subject token', async () => {
      const subject = await subjectToken(SHORT_API, 'read:short');
      const issued = await exchange({ subject_token: subject, subject_token_type: ACCESS_TOKEN });
      assert.ok(issued.expires_in! <= 60, `expires_in ${issued.expires_in} is capped by the 60 s subject token`);
      assert.ok(decodeJwt(issued.access_token).exp! <= decodeJwt(subject).exp!);
    });

    test('an opaque subject token is found in storage and exchanged', async () => {
      const subject = await subjectToken(OPAQUE_API, 'read:things');
      assert.equal(subject.split('.').length, 1, 'the subject token is opaque');
      const issued = await exchange({ subject_token: subject, subject_token_type: ACCESS_TOKEN });
      assert.equal(decodeJwt(issued.access_token).sub, caller.clientId);
    });

    test('a DPoP proof binds the exchanged token; a client that must use DPoP gets nothing without one', async () => {
      const bound = await seedClient(server, { dpop_bound_access_tokens: true, token_exchange: { audiences: [REPORTS_API], scopes: ['read:reports'] } });
      const boundClient = { clientId: bound.clientId, clientSecret: bound.clientSecret! };
      await expectOAuthError(exchange({ subject_token: await subjectToken(), subject_token_type: ACCESS_TOKEN }, boundClient), 400, 'invalid_dpop_proof', /^a DPoP proof is required\b/);

      const keyPair = await generateKeyPair('ES256');
      const issued = await exchange({ subject_token: await subjectToken(), subject_token_type: ACCESS_TOKEN }, boundClient, { DPoP: oauth.DPoP({}, keyPair) });
      assert.equal(issued.token_type, 'dpop');
      assert.deepEqual(decodeJwt(issued.access_token)['cnf'], { jkt: await calculateJwkThumbprint(await exportJWK(keyPair.publicKey)) });
    });
  });
}

for (const variant of databaseVariants) {
  describe(`token exchange and token quotas (${variant.kind})`, { skip: variant.skip }, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer(variant.kind, { env: { TOLLGATE_RATE_LIMITS: 'on' } });
    });
    after(() => server?.stop());

    test('an exchanged token is charged to the exchanging client\'s quota', async () => {
      const caller = await seedMachineClient(server);
      const relay = await seedClient(server, { token_quota: '1/h', token_exchange: { audiences: [REPORTS_API], scopes: ['read:reports'] } });
      const subject = await postForm(`${server.url}/token`, { grant_type: 'client_credentials', resource: API }, caller);
      const form = { grant_type: GRANT, subject_token: String(subject.body['access_token']), subject_token_type: ACCESS_TOKEN };
      const credentials = { clientId: relay.clientId, clientSecret: relay.clientSecret! };
      assert.equal((await postForm(`${server.url}/token`, form, credentials)).status, 200);
      const refused = await postForm(`${server.url}/token`, form, credentials);
      assert.equal(refused.status, 429);
      assert.equal(refused.body['error'], 'rate_limited');
    });
  });
}
