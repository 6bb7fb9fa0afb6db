import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import * as oauth from 'oauth4webapi';
import type { CreateClientInput } from '../../src/registry/clients.js';
import { seedMachineClient, type TestServer } from '../helpers/server.js';

export const insecure = { [oauth.allowInsecureRequests]: true } as const;

/** A client key pair, its public JWK (with a kid) and an oauth4webapi PrivateKeyJwt auth. */
export interface ClientKey {
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
  readonly auth: oauth.ClientAuth;
}

export async function clientKey(kid = `key-${Math.random().toString(36).slice(2)}`): Promise<ClientKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  return { privateKey, publicJwk, auth: oauth.PrivateKeyJwt({ key: privateKey, kid }) };
}

/** Registers a client in tenant `acme` (seeding the tenant and resource servers) with the given extra fields. */
export async function seedClient(
  server: TestServer,
  fields: Partial<CreateClientInput> = {},
): Promise<{ clientId: string; clientSecret: string | undefined; tenantId: string }> {
  const tenant = (await server.registry.tenants.findBySlug('acme')) ?? (await server.registry.tenants.findBySlugOrId((await seedMachineClient(server)).tenantId))!;
  const { client, clientSecret } = await server.registry.clients.create({
    name: 'strong-client',
    tenant: 'acme',
    resources: ['https://api.acme.test'],
    scopes: ['read:projects'],
    ...fields,
  });
  return { clientId: client.clientId, clientSecret, tenantId: tenant.id };
}

export async function discover(server: TestServer): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(server.issuer);
  return oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
}

/**
 * A local http server publishing `jwks`, counting its fetches: a client's
 * jwks_uri. `'hang'` never answers (a timeout test).
 */
export async function serveJwks(jwks: (() => unknown) | 'hang'): Promise<{ url: string; fetches: () => number; close: () => Promise<void> }> {
  let fetches = 0;
  const server: Server = createServer((_req, res) => {
    fetches += 1;
    if (jwks === 'hang') return;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(jwks()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/jwks.json`,
    fetches: () => fetches,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

export async function expectOAuthError(promise: Promise<unknown>, status: number, error: string, description?: RegExp): Promise<void> {
  await assert.rejects(promise, (thrown: unknown) => {
    assert.ok(thrown instanceof oauth.ResponseBodyError, `expected an OAuth error response, got ${String(thrown)}`);
    assert.equal(thrown.status, status);
    assert.equal(thrown.error, error);
    if (description) assert.match(thrown.error_description ?? '', description);
    return true;
  });
}
