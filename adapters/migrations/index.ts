import type { Knex } from 'knex';
import { oidcModels } from './001-oidc-models.js';
import { registry } from './002-registry.js';
import { signingKeys } from './003-signing-keys.js';
import { apiKeys } from './004-api-keys.js';
import { auditEvents } from './005-audit-events.js';
import { tokenQuotas } from './006-token-quotas.js';
import { clientCorsOrigins } from './007-client-cors-origins.js';
import { adminIdempotency } from './008-admin-idempotency.js';
import { usersAndAppClients } from './009-users-and-app-clients.js';
import { clientProofOfPossession } from './010-client-proof-of-possession.js';
import { tenancyResourceOwners } from './011-tenancy-resource-owners.js';
import { hashedTokenIds } from './012-hashed-token-ids.js';

/**
 * Migrations are plain modules listed here (not files found at run time), so
 * the compiled server, the CLI and the tests all run the same list whatever
 * the working directory. Append only; never edit a migration that has shipped.
 */
export interface Migration {
  readonly name: string;
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

const migrations: readonly Migration[] = [oidcModels, registry, signingKeys, apiKeys, auditEvents, tokenQuotas, clientCorsOrigins, adminIdempotency, usersAndAppClients, clientProofOfPossession, tenancyResourceOwners, hashedTokenIds];

export const migrationSource: Knex.MigrationSource<Migration> = {
  getMigrations: async () => [...migrations],
  getMigrationName: (migration) => migration.name,
  getMigration: async (migration) => migration,
};
