import type { Knex } from 'knex';
import type { Migration } from './index.js';

/** The admin API's own resource server (src/admin/audience.ts): every tenant's admins get tokens for it. */
const ADMIN_AUDIENCE = 'urn:tollgate:admin';
/** In `shared_with`: every tenant (only the admin API's resource server is registered so). */
const EVERY_TENANT = '*';

const listOf = (text: string | null | undefined): string[] => {
  if (!text) return [];
  const parsed: unknown = JSON.parse(text);
  return Array.isArray(parsed) ? parsed.filter((item): item is string => typeof item === 'string') : [];
};

/**
 * Scopes bound to tenants (issue 16.6):
 *
 * - a resource server is owned by a tenant (`tenant_id`), or by nobody (a
 *   global admin's), and used by other tenants only when shared with them
 *   by name (`shared_with`, JSON list of tenant ids);
 * - an API key names the resource servers it is for (`resources`, JSON list
 *   of audiences): its introspection answer carries them as `aud`;
 * - a client may be allowed to introspect the tokens and API keys of some
 *   audiences (`introspect_audiences`), see src/provider/introspection-policy.ts.
 *
 * Existing data keeps working: every existing resource server stays
 * owner-less and becomes shared with each tenant that has a client using
 * it (as a resource or a token-exchange audience); the admin API's is shared
 * with every tenant. Each existing API key gets the audiences of the
 * resource servers its tenant may use that offer at least one of its
 * scopes; a key whose scopes no such server offers gets none and is
 * accepted by no resource server until it is replaced.
 */
export const tenancyResourceOwners: Migration = {
  name: '011-tenancy-resource-owners',
  async up(knex) {
    await knex.schema.alterTable('resource_servers', (table) => {
      table.string('tenant_id', 64).nullable().references('id').inTable('tenants');
      table.text('shared_with').notNullable().defaultTo('[]');
      table.index(['tenant_id'], 'resource_servers_tenant_id');
    });
    await knex.schema.alterTable('api_keys', (table) => {
      table.text('resources').notNullable().defaultTo('[]');
    });
    await knex.schema.alterTable('clients', (table) => {
      table.text('introspect_audiences').nullable();
    });
    await shareWithUsers(knex);
    await giveApiKeysAudiences(knex);
  },
  async down(knex) {
    await knex.schema.alterTable('clients', (table) => {
      table.dropColumn('introspect_audiences');
    });
    await knex.schema.alterTable('api_keys', (table) => {
      table.dropColumn('resources');
    });
    await knex.schema.alterTable('resource_servers', (table) => {
      table.dropIndex(['tenant_id'], 'resource_servers_tenant_id');
      table.dropForeign(['tenant_id']);
      table.dropColumn('shared_with');
      table.dropColumn('tenant_id');
    });
  },
};

async function shareWithUsers(knex: Knex): Promise<void> {
  const users = new Map<string, Set<string>>();
  const clients: { tenant_id: string; resources: string; token_exchange: string | null }[] = await knex('clients').select('tenant_id', 'resources', 'token_exchange');
  for (const client of clients) {
    const exchange = client.token_exchange ? (JSON.parse(client.token_exchange) as { audiences?: unknown }).audiences : undefined;
    const audiences = [...listOf(client.resources), ...(Array.isArray(exchange) ? exchange.filter((item): item is string => typeof item === 'string') : [])];
    for (const audience of audiences) {
      const tenants = users.get(audience) ?? new Set<string>();
      tenants.add(client.tenant_id);
      users.set(audience, tenants);
    }
  }
  const resources: { id: string; audience: string }[] = await knex('resource_servers').select('id', 'audience');
  for (const resource of resources) {
    const sharedWith = resource.audience === ADMIN_AUDIENCE ? [EVERY_TENANT] : [...(users.get(resource.audience) ?? [])].sort();
    if (sharedWith.length) await knex('resource_servers').where({ id: resource.id }).update({ shared_with: JSON.stringify(sharedWith) });
  }
}

async function giveApiKeysAudiences(knex: Knex): Promise<void> {
  const resources: { audience: string; scopes: string; shared_with: string; tenant_id: string | null }[] = await knex('resource_servers')
    .select('audience', 'scopes', 'shared_with', 'tenant_id')
    .orderBy('audience');
  const keys: { id: string; tenant_id: string; scopes: string }[] = await knex('api_keys').select('id', 'tenant_id', 'scopes');
  for (const key of keys) {
    const scopes = listOf(key.scopes);
    const audiences = resources
      .filter((resource) => resource.audience !== ADMIN_AUDIENCE)
      .filter((resource) => resource.tenant_id === key.tenant_id || listOf(resource.shared_with).includes(key.tenant_id))
      .filter((resource) => listOf(resource.scopes).some((scope) => scopes.includes(scope)))
      .map((resource) => resource.audience);
    if (audiences.length) await knex('api_keys').where({ id: key.id }).update({ resources: JSON.stringify(audiences) });
  }
}
