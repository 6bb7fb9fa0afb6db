import type { Knex } from 'knex';
import { ClientRepository } from './clients.js';
import { ResourceRepository } from './resources.js';
import { TenantRepository } from './tenants.js';

export interface Registry {
  readonly tenants: TenantRepository;
  readonly resources: ResourceRepository;
  readonly clients: ClientRepository;
}

export function createRegistry(knex: Knex): Registry {
  const tenants = new TenantRepository(knex);
  const resources = new ResourceRepository(knex);
  return { tenants, resources, clients: new ClientRepository(knex, tenants, resources) };
}
