import { ApiKeyRepository, parseDuration, type ApiKeyEnvironment, type ApiKeyView } from '../api-keys/index.js';
import type { CommandContext } from '../cli.js';
import { invalidRequest } from '../errors.js';
import { splitList } from '../registry/input.js';
import { CLI_ACTOR } from '../services/index.js';
import { required } from './args.js';
import type { Output } from './output.js';
import { servicesFor } from './services.js';

function repositoryFor({ database, registry }: CommandContext): ApiKeyRepository {
  // No read cache: a CLI process lives for one command.
  return new ApiKeyRepository(database.knex, registry, { cacheTtlMs: 0 });
}

/** The key is in this output and nowhere else, ever: print it first. */
const issued = ({ apiKey, key }: { apiKey: ApiKeyView; key: string }) => ({
  key,
  expires_at: apiKey.expiresAt === null ? null : new Date(apiKey.expiresAt).toISOString(),
  ...apiKey,
});

export const apiKeyCommands: Record<string, (context: CommandContext) => Promise<Output>> = {
  'api-keys create': async (context) => {
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
  'api-keys list': async (context) => repositoryFor(context).list(context.values.tenant ? { tenant: context.values.tenant } : {}),
  'api-keys revoke': async (context) => servicesFor(context).apiKeys.revoke(CLI_ACTOR, required(context.args[0], 'api key id')),
  'api-keys rotate': async (context) => {
    const overlap = parseDuration(required(context.values.overlap, '--overlap'), '--overlap');
    if (overlap === null) throw invalidRequest('--overlap must be a duration such as 7d (not never)');
    const { previous, ...next } = await servicesFor(context).apiKeys.rotate(CLI_ACTOR, required(context.args[0], 'api key id'), overlap);
    return { ...issued(next), previous_id: previous.id, previous_expires_at: previous.expiresAt === null ? null : new Date(previous.expiresAt).toISOString() };
  },
};
