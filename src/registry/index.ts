import type { Knex } from 'knex';
import { AppClientRepository } from './app-clients.js';
import { ClientRepository } from './clients.js';
import { ResourceRepository } from './resources.js';
import { TenantRepository } from './tenants.js';

export interface Registry {
  readonly tenants: TenantRepository;
  readonly resources: ResourceRepository;
  readonly clients: ClientRepository;
  /** The authorization-code side of clients that sign users in. */
  readonly appClients: AppClientRepository;
}

/**
 * How stale a registry read on the token path may be when the change was
 * made by another process (the CLI, another instance): the bound is
 * 2 s; changes made in this process are seen at once.
 */
export const REGISTRY_CACHE_TTL_MS = 1_000;

export function createRegistry(knex: Knex, options: { cacheTtlMs?: number } = {}): Registry {
  const cache = { cacheTtlMs: options.cacheTtlMs ?? REGISTRY_CACHE_TTL_MS };
  const tenants = new TenantRepository(knex);
  const resources = new ResourceRepository(knex, tenants, cache);
  const clients = new ClientRepository(knex, tenants, resources, cache);
  return { tenants, resources, clients, appClients: new AppClientRepository(knex, clients, cache) };
}
