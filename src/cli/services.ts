import { ApiKeyRepository } from '../api-keys/index.js';
import type { BaseContext } from './command.js';
import { createServices, type Services } from '../services/index.js';
import { UserRepository } from '../users/index.js';

/** The services a command changes things through (src/services), over the command's database. */
export function servicesFor({ database, registry }: Pick<BaseContext, 'database' | 'registry'>): Services {
  return createServices({
    registry,
    users: new UserRepository(database.knex, registry.tenants),
    // No read cache: a CLI process lives for one command.
    apiKeys: new ApiKeyRepository(database.knex, registry, { cacheTtlMs: 0 }),
  });
}
