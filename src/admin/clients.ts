import { appClientView } from '../registry/app-clients.js';
import { clientView, type ClientView, type UpdateClientInput } from '../registry/clients.js';
import { adminActor, type Actor } from '../services/index.js';
import { ADMIN_SCOPE } from './audience.js';
import { insufficientScope, type AdminCaller } from './auth.js';
import { page, scopeOf, TENANT_QUERY, tenantForCreate, type AdminServices } from './context.js';
import { snakeCased, withSecret } from './presenters.js';
import { route, type AdminRequest, type CompiledRoute } from './route.js';
import { createClientBody, updateClientBody } from './schemas.js';

const TAG = 'Clients';

/**
 * Machine clients of one tenant. Every read and change passes the caller's
 * tenant scope to the repository, so a tenant admin asking for another
 * tenant's client id gets 404, as for an id that does not exist.
 */
export function clientRoutes(services: AdminServices): CompiledRoute[] {
  const { registry } = services;
  const clients = services.services.clients;

  /** A change to the client named in the path, as the caller (the service scopes and audits it). */
  const change = <Body,>(apply: (actor: Actor, clientId: string, body: Body) => Promise<ClientView>) =>
    async ({ caller, params, body }: AdminRequest<Body>) => snakeCased(await apply(adminActor(caller), params['clientId']!, body));

  const action = (path: string, operationId: string, summary: string, returnsSecret = false) => ({
    method: 'POST' as const, path: `/clients/{clientId}/${path}`, operationId, summary, tag: TAG, access: 'tenant' as const, status: 200 as const,
    response: { ref: returnsSecret ? 'ClientWithSecret' : 'Client' }, returnsSecret,
  });

  return [
    route({
      method: 'GET', path: '/clients', operationId: 'listClients', summary: 'List clients (a tenant admin: their tenant only)', tag: TAG,
      access: 'tenant', status: 200, response: { ref: 'Client', list: 'array' },
      query: TENANT_QUERY,
      handle: async ({ caller, query }) => page((await registry.clients.list({ ...(query['tenant'] ? { tenant: query['tenant'] } : {}), scope: scopeOf(caller) })).map(snakeCased)),
    }),
    route({
      method: 'POST', path: '/clients', operationId: 'createClient', summary: 'Create a client; the response holds its secret, shown only this once', tag: TAG,
      access: 'tenant', body: createClientBody, idempotent: true, status: 201, response: { ref: 'ClientWithSecret' }, returnsSecret: true,
      handle: async ({ ctx, caller, body }) => {
        refuseEscalation(ctx, caller, [...body.scopes, ...(body.token_exchange?.scopes ?? [])]);
        const tenant = await tenantForCreate(services, caller, body.tenant);
        return withSecret(await clients.create(adminActor(caller), { ...body, tenant: tenant.id }));
      },
    }),
    route({
      method: 'GET', path: '/clients/{clientId}', operationId: 'getClient', summary: 'Read a client (never its secret); an app client with its redirect URIs', tag: TAG,
      access: 'tenant', status: 200, response: { ref: 'Client' },
      handle: async ({ caller, params }) => {
        const view = clientView(await registry.clients.get(params['clientId']!, scopeOf(caller)));
        const app = await registry.appClients.find(view.clientId);
        return snakeCased(app ? appClientView(view, app) : view);
      },
    }),
    route<UpdateClientInput>({
      method: 'PATCH', path: '/clients/{clientId}', operationId: 'updateClient', summary: "Change a client's token quota", tag: TAG,
      access: 'tenant', body: updateClientBody, status: 200, response: { ref: 'Client' },
      handle: change<UpdateClientInput>((actor, id, body) => clients.update(actor, id, body)),
    }),
    route({
      ...action('disable', 'disableClient', 'Disable a client: no new tokens, issued tokens stop introspecting as active'),
      handle: change((actor, id) => clients.setEnabled(actor, id, false)),
    }),
    route({
      ...action('enable', 'enableClient', 'Enable a disabled client'),
      handle: change((actor, id) => clients.setEnabled(actor, id, true)),
    }),
    route({
      ...action('rotate-secret', 'rotateClientSecret', 'Replace the secret (the old one stops at once); the response holds the new secret, shown only this once', true),
      handle: async ({ caller, params }) => withSecret(await clients.rotateSecret(adminActor(caller), params['clientId']!)),
    }),
    route({
      ...action('revoke-tokens', 'revokeClientTokens', 'Revoke every token issued to the client so far'),
      handle: change((actor, id) => clients.revokeTokens(actor, id)),
    }),
  ];
}

/**
 * A tenant admin may create tenant admins, never a global admin: neither a
 * client holding `tollgate:admin` nor one allowed to exchange a token for it
 * (RFC 8693).
 */
export function refuseEscalation(ctx: AdminRequest<unknown>['ctx'], caller: AdminCaller, scopes: readonly string[]): void {
  if (!caller.global && scopes.includes(ADMIN_SCOPE)) throw insufficientScope(ctx, ADMIN_SCOPE);
}
