import { appClientView } from '../registry/app-clients.js';
import { adminActor } from '../services/index.js';
import { refuseEscalation } from './clients.js';
import { tenantForCreate, type AdminServices } from './context.js';
import { withSecret } from './presenters.js';
import { route, type CompiledRoute } from './route.js';
import { createAppClientBody, type CreateAppClientBody } from './schemas.js';

/**
 * Clients that sign users in (authorization code), as `clients create
 * --grant authorization_code` makes them. A route of its own rather than a
 * `grant` switch on POST /clients, so each body has one schema; reads,
 * changes and lists are the client routes' (clients.ts).
 */
export function appClientRoutes(services: AdminServices): CompiledRoute[] {
  const { clients } = services.services;
  return [
    route<CreateAppClientBody>({
      method: 'POST', path: '/app-clients', operationId: 'createAppClient',
      summary: 'Create a client that signs users in (authorization code + PKCE); a confidential one gets its secret in this response only', tag: 'Clients',
      access: 'tenant', body: createAppClientBody, idempotent: true, status: 201, response: { ref: 'AppClientWithSecret' }, returnsSecret: true,
      handle: async ({ ctx, caller, body }) => {
        refuseEscalation(ctx, caller, body.scopes);
        const tenant = await tenantForCreate(services, caller, body.tenant);
        const { client, app, clientSecret } = await clients.createApp(adminActor(caller), { ...body, tenant: tenant.id });
        // The names an OpenID Connect client library configures itself with: token_endpoint_auth_method, redirect_uris…
        return withSecret({ client: appClientView(client, app), clientSecret });
      },
    }),
  ];
}
