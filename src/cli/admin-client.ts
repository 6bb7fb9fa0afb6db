import { ADMIN_AUDIENCE, ADMIN_SCOPE, ensureAdminResource, TENANT_ADMIN_SCOPE } from '../admin/audience.js';
import type { CommandContext } from './command.js';
import type { CLIENT_CREATE_OPTIONS } from './client-options.js';
import type { CreateClientInput } from '../registry/clients.js';
import { invalidRequest } from '../errors.js';
import { CLI_ACTOR } from '../services/index.js';
import { servicesFor } from './services.js';

/** Where a global admin client lives when no tenant is named: every client belongs to a tenant. */
const SYSTEM_TENANT = 'tollgate';

/**
 * `clients create --admin`: the bootstrap for the admin API. Without
 * `--tenant`, a global admin (`tollgate:admin`) in the `tollgate` tenant;
 * with `--tenant <slug>`, that tenant's admin (`tollgate:tenant-admin`).
 * The admin resource server and the system tenant are created if missing.
 */
export async function adminClientInput(context: CommandContext<typeof CLIENT_CREATE_OPTIONS>): Promise<CreateClientInput> {
  const { registry, values } = context;
  if (values.resource?.length || values.scopes) throw invalidRequest('--admin sets the resource and scopes itself: leave out --resource and --scopes');
  await ensureAdminResource(registry);
  let tenant = values.tenant;
  if (!tenant) {
    tenant = SYSTEM_TENANT;
    if (!(await registry.tenants.findBySlug(SYSTEM_TENANT))) {
      await servicesFor(context).tenants.create(CLI_ACTOR, { slug: SYSTEM_TENANT, name: 'Tollgate administrators' });
    }
  }
  return {
    name: values.name ?? (values.tenant ? `${values.tenant}-admin` : 'tollgate-admin'),
    tenant,
    resources: [ADMIN_AUDIENCE],
    scopes: [values.tenant ? TENANT_ADMIN_SCOPE : ADMIN_SCOPE],
  };
}
