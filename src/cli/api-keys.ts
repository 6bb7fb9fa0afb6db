import { ApiKeyRepository, parseDuration, type ApiKeyEnvironment, type ApiKeyView } from '../api-keys/index.js';
import { invalidRequest } from '../errors.js';
import { splitList } from '../registry/input.js';
import { CLI_ACTOR } from '../services/index.js';
import { existingTenant, required } from './args.js';
import { defineCommand, type BaseContext } from './command.js';
import { servicesFor } from './services.js';

function repositoryFor({ database, registry }: Pick<BaseContext, 'database' | 'registry'>): ApiKeyRepository {
  // No read cache: a CLI process lives for one command.
  return new ApiKeyRepository(database.knex, registry, { cacheTtlMs: 0 });
}

/** The key is in this output and nowhere else, ever: print it first. */
const issued = ({ apiKey, key }: { apiKey: ApiKeyView; key: string }) => ({
  key,
  expires_at: apiKey.expiresAt === null ? null : new Date(apiKey.expiresAt).toISOString(),
  ...apiKey,
});

const API_KEY_ID = { name: 'id', description: 'the API key\'s id (not the key)', required: true } as const;

export const apiKeyCommands = [
  defineCommand({
    name: 'api-keys create',
    summary: 'issue an API key (shown once) for a partner or script that cannot do OAuth',
    options: {
      tenant: { type: 'string', value: '<slug>', description: 'the tenant it belongs to', required: true },
      name: { type: 'string', value: '<name>', description: 'who or what it is for', required: true },
      resource: { type: 'string', multiple: true, value: '<uri>', description: 'a resource server it may call' },
      scopes: { type: 'string', value: '"<s1> <s2>"', description: 'the scopes it carries' },
      'expires-in': { type: 'string', value: '90d|12h|never', description: 'lifetime (default 90d)' },
      env: { type: 'string', value: 'live|test', description: 'the environment in its prefix (tg_live_…, default live)' },
    },
    examples: ['tollgate api-keys create --tenant acme --name partner --resource https://api.acme.test --scopes read:projects --expires-in 30d'],
    run: async (context) => {
      const { values } = context;
      if (values.env !== undefined && values.env !== 'live' && values.env !== 'test') throw invalidRequest('--env must be live or test');
      const created = await servicesFor(context).apiKeys.create(CLI_ACTOR, {
        tenant: required(values.tenant, '--tenant'),
        name: required(values.name, '--name'),
        resources: (values.resource ?? []).flatMap(splitList),
        scopes: splitList(values.scopes),
        ...(values['expires-in'] ? { expiresIn: values['expires-in'] } : {}),
        ...(values.env ? { env: values.env as ApiKeyEnvironment } : {}),
      });
      return issued(created);
    },
  }),
  defineCommand({
    name: 'api-keys list',
    summary: 'list API keys (never the keys themselves)',
    options: { tenant: { type: 'string', value: '<slug>', description: 'only this tenant\'s keys' } },
    columns: ['id', 'name', 'tenant_slug', 'env', 'status', 'expires_at'],
    run: async (context) => {
      if (context.values.tenant) await existingTenant(context.registry, context.values.tenant);
      return repositoryFor(context).list(context.values.tenant ? { tenant: context.values.tenant } : {});
    },
  }),
  defineCommand({
    name: 'api-keys revoke',
    summary: 'revoke an API key at once',
    positionals: [API_KEY_ID],
    options: {},
    run: async (context) => servicesFor(context).apiKeys.revoke(CLI_ACTOR, required(context.args[0], 'api key id')),
  }),
  defineCommand({
    name: 'api-keys rotate',
    summary: 'issue a new key; the old one keeps working for the overlap',
    positionals: [API_KEY_ID],
    options: { overlap: { type: 'string', value: '<duration>', description: 'how long the old key keeps working (7d, 12h)', required: true } },
    examples: ['tollgate api-keys rotate 0b7e… --overlap 7d'],
    run: async (context) => {
      const overlap = parseDuration(required(context.values.overlap, '--overlap'), '--overlap');
      if (overlap === null) throw invalidRequest('--overlap must be a duration such as 7d (not never)');
      const { previous, ...next } = await servicesFor(context).apiKeys.rotate(CLI_ACTOR, required(context.args[0], 'api key id'), overlap);
      return { ...issued(next), previous_id: previous.id, previous_expires_at: previous.expiresAt === null ? null : new Date(previous.expiresAt).toISOString() };
    },
  }),
];
