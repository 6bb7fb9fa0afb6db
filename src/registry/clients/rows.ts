import type { ClientJwks, TokenExchangePolicy } from '../client-proof.js';
import { parseList } from '../input.js';
import type { Client, ClientView } from './types.js';

/** The `clients` table row (migrations 002, 006, 007, 010, 011). */
export interface ClientRow {
  client_id: string;
  tenant_id: string;
  name: string;
  secret_hash: string;
  secret_expires_at: number | null;
  roles: string;
  scopes: string;
  resources: string;
  ip_allowlist: string | null;
  cors_origins: string | null;
  enabled: boolean | number;
  token_version: number;
  token_quota: string | null;
  token_endpoint_auth_method: string;
  jwks: string | null;
  jwks_uri: string | null;
  dpop_bound_access_tokens: boolean | number;
  token_exchange: string | null;
  introspect_audiences: string | null;
  created_at: number;
  updated_at: number;
}

/** A client row joined with the tenant fields the token path needs. */
export type JoinedClientRow = ClientRow & { tenant_slug: string; tenant_token_quota: string | null };

export const toClient = (row: JoinedClientRow): Client => ({
  clientId: row.client_id,
  tenantId: row.tenant_id,
  tenantSlug: row.tenant_slug,
  name: row.name,
  secretHash: row.secret_hash,
  secretExpiresAt: row.secret_expires_at,
  roles: parseList(row.roles),
  scopes: parseList(row.scopes),
  resources: parseList(row.resources),
  ipAllowlist: row.ip_allowlist === null ? null : parseList(row.ip_allowlist),
  corsOrigins: row.cors_origins === null ? [] : parseList(row.cors_origins),
  // SQLite returns booleans as 0/1.
  enabled: Boolean(row.enabled),
  tokenVersion: row.token_version,
  tokenQuota: row.token_quota ?? null,
  tenantTokenQuota: row.tenant_token_quota ?? null,
  tokenEndpointAuthMethod: row.token_endpoint_auth_method === 'private_key_jwt' ? 'private_key_jwt' : 'client_secret_basic',
  jwks: row.jwks ? (JSON.parse(row.jwks) as ClientJwks) : null,
  jwksUri: row.jwks_uri ?? null,
  dpopBoundAccessTokens: Boolean(row.dpop_bound_access_tokens),
  tokenExchange: row.token_exchange ? (JSON.parse(row.token_exchange) as TokenExchangePolicy) : null,
  introspectAudiences: parseList(row.introspect_audiences),
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/** What reads show: the client without its secret hash. */
export function clientView(client: Client): ClientView {
  const { secretHash: _hidden, ...view } = client;
  return view;
}
