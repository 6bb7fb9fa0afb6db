import type { ApiKeyRepository } from '../api-keys/index.js';
import type { Registry } from '../registry/index.js';
import type { UserRepository } from '../users/index.js';
import { apiKeyService, type ApiKeyService } from './api-keys.js';
import { clientService, type ClientService } from './clients.js';
import { resourceService, type ResourceService } from './resources.js';
import { tenantService, type TenantService } from './tenants.js';
import { userService, type UserService } from './users.js';

export { adminActor, CLI_ACTOR, type Actor } from './actor.js';
export type { ApiKeyService, CreateApiKeyRequest } from './api-keys.js';
export type { ClientService, ClientWithSecret } from './clients.js';
export type { ResourceService } from './resources.js';
export type { TenantService } from './tenants.js';
export type { CreateUserRequest, UserService } from './users.js';

/**
 * One service per resource family, shared by the CLI and the admin API:
 * each change is validated, written and audited in one transaction, given
 * the actor, so a change and its audit event commit together or not at all.
 */
export interface Services {
  readonly tenants: TenantService;
  readonly resources: ResourceService;
  readonly clients: ClientService;
  readonly apiKeys: ApiKeyService;
  readonly users: UserService;
}

export interface ServiceDependencies {
  readonly registry: Registry;
  readonly users: UserRepository;
  readonly apiKeys: ApiKeyRepository;
  /** The audit rows' time; Date.now by default. */
  readonly clock?: () => number;
}

/**
 * @example
 * const services = createServices({ registry, users, apiKeys });
 * const tenant = await services.tenants.create(CLI_ACTOR, { slug: 'acme', name: 'Acme' });
 */
export function createServices({ registry, users, apiKeys, clock = Date.now }: ServiceDependencies): Services {
  return {
    tenants: tenantService({ registry, clock }),
    resources: resourceService({ registry, clock }),
    clients: clientService({ registry, clock }),
    apiKeys: apiKeyService({ apiKeys, clock }),
    users: userService({ users, clock }),
  };
}
