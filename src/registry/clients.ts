import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import type { Knex } from 'knex';
import type { JSONSchemaType } from 'ajv';
import { invalidRequest, notFound } from '../errors.js';
import { compileInput, isStorableText, LIMIT_SPEC, parseList, ROLE, SCOPE_TOKEN } from './input.js';
import { generateSecret, hashSecret } from './secrets.js';
import type { ResourceRepository } from './resources.js';
import type { TenantScope } from './tenant-scope.js';
import type { TenantRepository } from './tenants.js';
import {
  checkClientCredentialChoice, checkTokenExchangePolicy, CLIENT_PROOF_SCHEMA, type ClientAuthMethod, type ClientJwks, type TokenExchangePolicy,
} from './client-proof.js';
import { TtlCache } from './ttl-cache.js';

/** A machine client as the registry stores it (the secret only as a hash). */
export interface Client {
  clientId: string;
  tenantId: string;
  tenantSlug: string;
  name: string;
  secretHash: string;
  /** Epoch ms, or null for a secret that does not expire. */
  secretExpiresAt: number | null;
  roles: string[];
  scopes: string[];
  resources: string[];
  ipAllowlist: string[] | null;
  /** Browser origins allowed to call the client endpoints (CORS); empty for machine clients. */
  corsOrigins: string[];
  enabled: boolean;
  /** Bumped by `revoke-tokens`: tokens carrying an older version are no longer active. */
  tokenVersion: number;
  /** Tokens this client may get, as `<count>/<unit>` (`1000/h`); null: no quota of its own. */
  tokenQuota: string | null;
  /**
   * Its tenant's quota, read in the same query as the client, so the token
   * path learns both from one cached lookup.
   */
  tenantTokenQuota: string | null;
  /** `client_secret_basic` (also accepts client_secret_post) or `private_key_jwt` (RFC 7523). */
  tokenEndpointAuthMethod: ClientAuthMethod;
  /** The private_key_jwt client's public keys, inline; or null. */
  jwks: ClientJwks | null;
  /** Where the private_key_jwt client publishes its public keys; or null. */
  jwksUri: string | null;
  /** Tokens must be DPoP-bound (RFC 9449): a token request without a proof is refused. */
  dpopBoundAccessTokens: boolean;
  /** What the client may get by token exchange (RFC 8693); null: no token exchange. */
  tokenExchange: TokenExchangePolicy | null;
  /**
   * Audiences whose tokens and API keys this client may introspect (RFC 7662):
   * a resource service's own client lists the resource servers it serves.
   */
  introspectAudiences: string[];
  createdAt: number;
  updatedAt: number;
}

/** What reads show: everything but the hash. */
export type ClientView = Omit<Client, 'secretHash'>;

/**
 * What create and rotate-secret answer (CLI and admin API alike): the client
 * and, the only time it is ever shown, its secret; a private_key_jwt client
 * has none.
 */
export const withClientSecret = <View extends Pick<ClientView, 'clientId'>>({ client, clientSecret }: { client: View; clientSecret: string | undefined }) => ({
  client_id: client.clientId,
  ...(clientSecret === undefined ? {} : { client_secret: clientSecret }),
  ...client,
});

export interface CreateClientInput {
  name: string;
  tenant: string;
  resources: string[];
  scopes: string[];
  roles?: string[];
  ip_allowlist?: string[];
  cors_origins?: string[];
  secret_expires_in?: number;
  token_quota?: string | null;
  token_endpoint_auth_method?: ClientAuthMethod;
  jwks?: ClientJwks;
  jwks_uri?: string;
  dpop_bound_access_tokens?: boolean;
  token_exchange?: TokenExchangePolicy;
  introspect_audiences?: string[];
}

export interface UpdateClientInput {
  /** A new quota, or null to remove it. */
  token_quota?: string | null;
  /** The complete new list of audiences the client may introspect for (empty: none). */
  introspect_audiences?: string[];
}

/** Exported for the admin API, which validates with it and publishes it in its OpenAPI document. */
export const createClientSchema = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200 },
    tenant: { type: 'string', minLength: 1, maxLength: 64 },
    resources: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 2000 }, minItems: 1, uniqueItems: true, maxItems: 50 },
    scopes: { type: 'array', items: { type: 'string', pattern: SCOPE_TOKEN }, uniqueItems: true, maxItems: 200 },
    roles: { type: 'array', items: { type: 'string', pattern: ROLE }, uniqueItems: true, maxItems: 100, nullable: true },
    ip_allowlist: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 64 }, maxItems: 100, nullable: true },
    cors_origins: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 300 }, uniqueItems: true, maxItems: 50, nullable: true },
    secret_expires_in: { type: 'integer', minimum: 60, nullable: true },
    token_quota: LIMIT_SPEC,
    ...CLIENT_PROOF_SCHEMA,
    introspect_audiences: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 2000 }, uniqueItems: true, maxItems: 50, nullable: true },
  },
  required: ['name', 'tenant', 'resources', 'scopes'],
  additionalProperties: false,
} satisfies JSONSchemaType<CreateClientInput>;
const createClientInput = compileInput<CreateClientInput>(createClientSchema);

export const updateClientSchema = {
  type: 'object',
  properties: { token_quota: LIMIT_SPEC, introspect_audiences: createClientSchema.properties.introspect_audiences },
  required: [],
  additionalProperties: false,
} satisfies JSONSchemaType<UpdateClientInput>;
const updateClientInput = compileInput<UpdateClientInput>(updateClientSchema);

interface ClientRow {
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
type JoinedClientRow = ClientRow & { tenant_slug: string; tenant_token_quota: string | null };

const toClient = (row: JoinedClientRow): Client => ({
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

/** What the audit log keeps of a client (CLI and admin API): never its secret or hash. */
export const AUDITED_FIELDS = [
  'name', 'scopes', 'roles', 'resources', 'ipAllowlist', 'corsOrigins', 'tokenQuota', 'enabled', 'tokenVersion',
  'tokenEndpointAuthMethod', 'jwksUri', 'dpopBoundAccessTokens', 'tokenExchange', 'introspectAudiences',
] as const;

export function clientView(client: Client): ClientView {
  const { secretHash: _hidden, ...view } = client;
  return view;
}

/** An allow-list entry is an IP address or a CIDR block. */
function checkIpAllowlist(entries: readonly string[]): void {
  for (const entry of entries) {
    const [address = '', prefix] = entry.split('/');
    const family = isIP(address);
    const maxPrefix = family === 6 ? 128 : 32;
    const prefixValid = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= maxPrefix);
    if (family === 0 || !prefixValid) throw invalidRequest(`ip_allowlist entry ${entry} is not an IP address or CIDR block`);
  }
}

/**
 * A CORS origin is exactly what browsers send in `Origin`: scheme, host and
 * optional port, nothing else (no path, no trailing slash, no wildcard), and
 * https unless it is a loopback development origin.
 */
function checkCorsOrigins(entries: readonly string[]): void {
  for (const entry of entries) {
    const url = URL.canParse(entry) ? new URL(entry) : undefined;
    const loopback = url && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
    // WHATWG URLs accept `*` in a host name; an origin never has one.
    const plainHost = url && /^([a-z0-9-]+\.)*[a-z0-9-]+$|^\[[0-9a-f:.]+\]$/.test(url.hostname);
    if (!url || !plainHost || url.origin !== entry || !(url.protocol === 'https:' || (url.protocol === 'http:' && loopback))) {
      throw invalidRequest(`cors_origins entry ${entry} is not an origin (https://app.example.com, or http://localhost:<port>)`);
    }
  }
}

export class ClientRepository {
  readonly #cache: TtlCache<Client | undefined>;

  constructor(
    private readonly knex: Knex,
    private readonly tenants: TenantRepository,
    private readonly resources: ResourceRepository,
    options: { cacheTtlMs: number },
  ) {
    this.#cache = new TtlCache({ ttlMs: options.cacheTtlMs, maxEntries: 10_000 });
    // Cached clients carry their tenant's quota; tenant changes are rare, so drop them all.
    tenants.onChange(() => this.#cache.clear());
  }

  #select() {
    return this.knex('clients')
      .join('tenants', 'tenants.id', 'clients.tenant_id')
      .select('clients.*', 'tenants.slug as tenant_slug', 'tenants.token_quota as tenant_token_quota');
  }

  /**
   * Creates a client; the returned secret is the only copy that will ever
   * exist. A private_key_jwt client has no secret (undefined).
   */
  async create(input: CreateClientInput & { token_endpoint_auth_method?: 'client_secret_basic' }): Promise<{ client: ClientView; clientSecret: string }>;
  async create(input: CreateClientInput): Promise<{ client: ClientView; clientSecret: string | undefined }>;
  async create(input: CreateClientInput): Promise<{ client: ClientView; clientSecret: string | undefined }> {
    const valid = createClientInput(input);
    const tenant = await this.tenants.findBySlugOrId(valid.tenant);
    if (!tenant) throw invalidRequest(`tenant ${valid.tenant} does not exist`);
    // A tenant's client may carry only scopes of resource servers its tenant owns or was shared (issue 16.6).
    await this.resources.checkGrant(tenant.id, { audiences: valid.resources, scopes: valid.scopes }, { audience: 'resource', scope: 'scope' });
    await this.resources.checkGrant(tenant.id, { audiences: valid.introspect_audiences ?? [], scopes: [] }, { audience: 'introspect_audiences entry', scope: 'scope' });
    if (valid.ip_allowlist) checkIpAllowlist(valid.ip_allowlist);
    if (valid.cors_origins) checkCorsOrigins(valid.cors_origins);
    const authMethod = checkClientCredentialChoice(valid);
    if (valid.token_exchange) await checkTokenExchangePolicy(valid.token_exchange, tenant.id, this.resources);

    // A private_key_jwt client proves possession of a key; it gets no secret
    // at all, and its empty hash matches nothing (compareClientSecret is never
    // reached for it: the provider refuses a secret for this method).
    const clientSecret = authMethod === 'private_key_jwt' ? undefined : generateSecret();
    const now = Date.now();
    const row: ClientRow = {
      client_id: randomUUID(),
      tenant_id: tenant.id,
      name: valid.name,
      secret_hash: clientSecret === undefined ? '' : await hashSecret(clientSecret),
      secret_expires_at: valid.secret_expires_in ? now + valid.secret_expires_in * 1000 : null,
      roles: JSON.stringify(valid.roles ?? []),
      scopes: JSON.stringify(valid.scopes),
      resources: JSON.stringify(valid.resources),
      ip_allowlist: valid.ip_allowlist ? JSON.stringify(valid.ip_allowlist) : null,
      cors_origins: valid.cors_origins?.length ? JSON.stringify(valid.cors_origins) : null,
      enabled: true,
      token_version: 0,
      token_quota: valid.token_quota ?? null,
      token_endpoint_auth_method: authMethod,
      jwks: valid.jwks ? JSON.stringify(valid.jwks) : null,
      jwks_uri: valid.jwks_uri ?? null,
      dpop_bound_access_tokens: valid.dpop_bound_access_tokens ?? false,
      token_exchange: valid.token_exchange ? JSON.stringify(valid.token_exchange) : null,
      introspect_audiences: valid.introspect_audiences?.length ? JSON.stringify(valid.introspect_audiences) : null,
      created_at: now,
      updated_at: now,
    };
    await this.knex('clients').insert(row);
    return { client: clientView(toClient({ ...row, tenant_slug: tenant.slug, tenant_token_quota: tenant.tokenQuota })), clientSecret };
  }

  async list(filter: { tenant?: string; scope?: TenantScope } = {}): Promise<ClientView[]> {
    const query = this.#select().orderBy('clients.created_at');
    if (filter.tenant) query.where((where) => where.where('tenants.slug', filter.tenant).orWhere('tenants.id', filter.tenant));
    if (filter.scope) query.where('clients.tenant_id', filter.scope.tenantId);
    const rows: JoinedClientRow[] = await query;
    return rows.map((row) => clientView(toClient(row)));
  }

  /**
   * The client with its hash, for authentication; undefined for unknown ids.
   * Read through a short cache: this runs on every token request, and a
   * change made elsewhere is seen within the cache TTL.
   */
  find(clientId: string): Promise<Client | undefined> {
    if (!isStorableText(clientId)) return Promise.resolve(undefined);
    return this.#cache.get(clientId, async () => {
      const row: JoinedClientRow | undefined = await this.#select()
        .where('clients.client_id', clientId)
        .first();
      return row && toClient(row);
    });
  }

  /** With `scope`, a client of another tenant is `not_found` (read uncached, by id and tenant). */
  async get(clientId: string, scope?: TenantScope): Promise<Client> {
    const client = scope ? await this.#findInTenant(clientId, scope) : await this.find(clientId);
    if (!client) throw notFound(`client ${clientId} does not exist`);
    return client;
  }

  async #findInTenant(clientId: string, scope: TenantScope): Promise<Client | undefined> {
    if (!isStorableText(clientId)) return undefined;
    const row: JoinedClientRow | undefined = await this.#select()
      .where('clients.client_id', clientId)
      .andWhere('clients.tenant_id', scope.tenantId)
      .first();
    return row && toClient(row);
  }

  /** Changes the fields given; other processes see it within the cache TTL. */
  async update(clientId: string, input: UpdateClientInput, scope?: TenantScope): Promise<ClientView> {
    const { introspect_audiences: introspectAudiences, ...changes } = updateClientInput(input);
    if (introspectAudiences) {
      const { tenantId } = await this.get(clientId, scope);
      await this.resources.checkGrant(tenantId, { audiences: introspectAudiences, scopes: [] }, { audience: 'introspect_audiences entry', scope: 'scope' });
    }
    await this.#update(clientId, {
      ...changes,
      ...(introspectAudiences ? { introspect_audiences: introspectAudiences.length ? JSON.stringify(introspectAudiences) : null } : {}),
    }, scope);
    return clientView(await this.get(clientId));
  }

  async setEnabled(clientId: string, enabled: boolean, scope?: TenantScope): Promise<ClientView> {
    await this.#update(clientId, { enabled }, scope);
    return clientView(await this.get(clientId));
  }

  /** Replaces the secret; the old one stops working at once in this process, and in others once their registry cache expires (REGISTRY_CACHE_TTL_MS, 1 s). */
  async rotateSecret(clientId: string, scope?: TenantScope): Promise<{ client: ClientView; clientSecret: string }> {
    const existing = await this.get(clientId, scope);
    if (existing.tokenEndpointAuthMethod === 'private_key_jwt') throw invalidRequest('a private_key_jwt client has no secret: rotate its keys in its JWKS');
    const clientSecret = generateSecret();
    await this.#update(clientId, { secret_hash: await hashSecret(clientSecret) }, scope);
    return { client: clientView(await this.get(clientId)), clientSecret };
  }

  /** Every token issued so far stops being active; new ones work. */
  async revokeTokens(clientId: string, scope?: TenantScope): Promise<ClientView> {
    await this.#update(clientId, { token_version: this.knex.raw('token_version + 1') }, scope);
    return clientView(await this.get(clientId));
  }

  async #update(clientId: string, changes: Record<string, unknown>, scope?: TenantScope): Promise<void> {
    if (!isStorableText(clientId)) throw notFound(`client ${clientId} does not exist`);
    const updated = await this.knex('clients')
      .where({ client_id: clientId, ...(scope ? { tenant_id: scope.tenantId } : {}) })
      .update({ ...changes, updated_at: Date.now() });
    this.#cache.delete(clientId);
    if (!updated) throw notFound(`client ${clientId} does not exist`);
  }
}
