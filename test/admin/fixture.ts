import assert from 'node:assert/strict';
import { ADMIN_AUDIENCE, ADMIN_SCOPE, TENANT_ADMIN_SCOPE } from '../../src/admin/index.js';
import { postForm, type TestServer } from '../helpers/server.js';

export interface AdminResponse {
  status: number;
  body: Record<string, unknown> & { data?: Record<string, unknown>[] };
  headers: Headers;
}

export interface AdminSession {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly tenantId: string;
  readonly token: string;
  /** A JSON request to /admin/v1 with this admin's token. */
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<AdminResponse>;
}

/** A JSON request to the admin API with any (or no) Authorization header. */
export async function adminRequest(
  server: TestServer,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<AdminResponse> {
  const response = await fetch(`${server.adminUrl}/admin/v1${path}`, {
    method,
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...options.headers,
    },
    ...(options.body !== undefined ? { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) } : {}),
  });
  const text = await response.text();
  let body: AdminResponse['body'];
  try {
    body = JSON.parse(text) as AdminResponse['body'];
  } catch {
    body = { raw: text };
  }
  return { status: response.status, body, headers: response.headers };
}

/** A client_credentials token from the server's own /token endpoint for the admin audience. */
export async function adminToken(server: TestServer, credentials: { clientId: string; clientSecret: string }, scope?: string): Promise<string> {
  const response = await postForm(`${server.url}/token`, { grant_type: 'client_credentials', resource: ADMIN_AUDIENCE, ...(scope ? { scope } : {}) }, credentials);
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return String(response.body['access_token']);
}

/**
 * An admin client created through the registry (as `clients create --admin`
 * does) and a real token for it: global without `tenant`, else that
 * tenant's admin (the tenant is created if missing).
 */
export async function adminSession(server: TestServer, options: { tenant?: string } = {}): Promise<AdminSession> {
  const slug = options.tenant ?? 'tollgate';
  const tenant = (await server.registry.tenants.findBySlug(slug)) ?? (await server.registry.tenants.create({ slug, name: `${slug} corp` }));
  const { client, clientSecret } = await server.registry.clients.create({
    name: `${slug}-admin`,
    tenant: slug,
    resources: [ADMIN_AUDIENCE],
    scopes: [options.tenant ? TENANT_ADMIN_SCOPE : ADMIN_SCOPE],
  });
  const credentials = { clientId: client.clientId, clientSecret };
  const token = await adminToken(server, credentials, options.tenant ? TENANT_ADMIN_SCOPE : ADMIN_SCOPE);
  return {
    ...credentials,
    tenantId: tenant.id,
    token,
    call: (method, path, body, headers) => adminRequest(server, method, path, { token, body, ...(headers ? { headers } : {}) }),
  };
}
