import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { invalidRequest, notFound } from '../../errors.js';
import { checkClientCredentialChoice, checkTokenExchangePolicy } from '../client-proof.js';
import { isStorableText } from '../input.js';
import type { ResourceRepository } from '../resources.js';
import { generateSecret, hashSecret } from '../secrets.js';
import type { TenantScope } from '../tenant-scope.js';
import type { TenantRepository } from '../tenants.js';
import { TtlCache } from '../ttl-cache.js';
import { writeWith, type WithinWrite } from '../within-write.js';
import { clientView, toClient, type ClientRow, type JoinedClientRow } from './rows.js';
import { createClientInput, updateClientInput } from './schema.js';
import type { Client, ClientView, CreateClientInput, UpdateClientInput } from './types.js';
import { checkCorsOrigins, checkIpAllowlist } from './validators.js';

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

  #select(db: Knex = this.knex) {
    return db('clients')
      .join('tenants', 'tenants.id', 'clients.tenant_id')
      .select('clients.*', 'tenants.slug as tenant_slug', 'tenants.token_quota as tenant_token_quota');
  }

  /**
   * Creates a client; the returned secret is the only copy that will ever
   * exist. A private_key_jwt client has no secret (undefined). `within`
   * runs in the insert's transaction (within-write.ts).
   */
  async create(
    input: CreateClientInput & { token_endpoint_auth_method?: 'client_secret_basic' },
    within?: WithinWrite<{ client: ClientView; clientSecret: string | undefined }>,
  ): Promise<{ client: ClientView; clientSecret: string }>;
  async create(input: CreateClientInput, within?: WithinWrite<{ client: ClientView; clientSecret: string | undefined }>): Promise<{ client: ClientView; clientSecret: string | undefined }>;
  async create(input: CreateClientInput, within?: WithinWrite<{ client: ClientView; clientSecret: string | undefined }>): Promise<{ client: ClientView; clientSecret: string | undefined }> {
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
    const created = { client: clientView(toClient({ ...row, tenant_slug: tenant.slug, tenant_token_quota: tenant.tokenQuota })), clientSecret };
    return writeWith(this.knex, async (db) => {
      await db('clients').insert(row);
      return created;
    }, within);
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
    return this.#cache.get(clientId, () => this.#read(this.knex, clientId));
  }

  /** With `scope`, a client of another tenant is `not_found` (read uncached, by id and tenant). */
  async get(clientId: string, scope?: TenantScope): Promise<Client> {
    const client = scope ? await this.#read(this.knex, clientId, scope) : await this.find(clientId);
    if (!client) throw notFound(`client ${clientId} does not exist`);
    return client;
  }

  async #read(db: Knex, clientId: string, scope?: TenantScope): Promise<Client | undefined> {
    if (!isStorableText(clientId)) return undefined;
    const query = this.#select(db).where('clients.client_id', clientId);
    if (scope) query.andWhere('clients.tenant_id', scope.tenantId);
    const row: JoinedClientRow | undefined = await query.first();
    return row && toClient(row);
  }

  /** Changes the fields given; other processes see it within the cache TTL. */
  async update(clientId: string, input: UpdateClientInput, scope?: TenantScope, within?: WithinWrite<ClientView>): Promise<ClientView> {
    const { introspect_audiences: introspectAudiences, ...changes } = updateClientInput(input);
    if (introspectAudiences) {
      const { tenantId } = await this.get(clientId, scope);
      await this.resources.checkGrant(tenantId, { audiences: introspectAudiences, scopes: [] }, { audience: 'introspect_audiences entry', scope: 'scope' });
    }
    return this.#update(clientId, {
      ...changes,
      ...(introspectAudiences ? { introspect_audiences: introspectAudiences.length ? JSON.stringify(introspectAudiences) : null } : {}),
    }, scope, within);
  }

  setEnabled(clientId: string, enabled: boolean, scope?: TenantScope, within?: WithinWrite<ClientView>): Promise<ClientView> {
    return this.#update(clientId, { enabled }, scope, within);
  }

  /**
   * Replaces the secret. This process refuses the old one at once; other
   * processes may accept it until their registry cache entry expires
   * (REGISTRY_CACHE_TTL_MS).
   */
  async rotateSecret(clientId: string, scope?: TenantScope, within?: WithinWrite<{ client: ClientView; clientSecret: string }>): Promise<{ client: ClientView; clientSecret: string }> {
    const existing = await this.get(clientId, scope);
    if (existing.tokenEndpointAuthMethod === 'private_key_jwt') throw invalidRequest('a private_key_jwt client has no secret: rotate its keys in its JWKS');
    const clientSecret = generateSecret();
    const secretHash = await hashSecret(clientSecret);
    const client = await this.#update(clientId, { secret_hash: secretHash }, scope, within && ((db, client) => within(db, { client, clientSecret })));
    return { client, clientSecret };
  }

  /** Every token issued so far stops being active; new ones work. */
  revokeTokens(clientId: string, scope?: TenantScope, within?: WithinWrite<ClientView>): Promise<ClientView> {
    return this.#update(clientId, { token_version: this.knex.raw('token_version + 1') }, scope, within);
  }

  /** Updates the row in `scope` and answers it as it is after the change, read in the same transaction. */
  async #update(clientId: string, changes: Record<string, unknown>, scope: TenantScope | undefined, within?: WithinWrite<ClientView>): Promise<ClientView> {
    if (!isStorableText(clientId)) throw notFound(`client ${clientId} does not exist`);
    try {
      return await writeWith(this.knex, async (db) => {
        const updated = await db('clients')
          .where({ client_id: clientId, ...(scope ? { tenant_id: scope.tenantId } : {}) })
          .update({ ...changes, updated_at: Date.now() });
        const after = updated ? await this.#read(db, clientId) : undefined;
        if (!after) throw notFound(`client ${clientId} does not exist`);
        return clientView(after);
      }, within);
    } finally {
      this.#cache.delete(clientId);
    }
  }
}
