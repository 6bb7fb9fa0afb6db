import type { AuditEventType } from '../audit/audit-log.js';
import { changeDetail, snapshot } from '../audit/changes.js';
import { AUDITED_FIELDS, clientView, withClientSecret, type ClientView, type UpdateClientInput } from '../registry/clients.js';
import { appClientView } from '../registry/app-clients.js';
import { ADMIN_SCOPE } from './audience.js';
import { recordAdminChange } from './audit.js';
import { insufficientScope, type AdminCaller } from './auth.js';
import { page, scopeOf, TENANT_QUERY, tenantForCreate, type AdminServices } from './context.js';
import { route, type AdminRequest, type CompiledRoute } from './route.js';
import { createClientBody, updateClientBody } from './schemas.js';

const TAG = 'Clients';

/**
 * Machine clients of one tenant. Every read and change passes the caller's
 * tenant scope to the repository, so a tenant admin asking for another
 * tenant's client id gets 404, as for an id that does not exist.
 */
export function clientRoutes(services: AdminServices): CompiledRoute[] {
  const { registry, audit } = services;
  const clients = registry.clients;

  /** Runs a change on one client (in the caller's scope) and records it with its before/after. */
  function change<T extends ClientView | { client: ClientView; clientSecret: string }>(
    type: AuditEventType,
    apply: (clientId: string, request: AdminRequest<unknown>) => Promise<T>,
  ) {
    return async (request: AdminRequest<unknown>) => {
      const clientId = request.params['clientId']!;
      const scope = scopeOf(request.caller);
      const before = await clients.get(clientId, scope);
      const result = await apply(clientId, request);
      const after: ClientView = 'client' in result ? result.client : (result as ClientView);
      const detail = changeDetail<ClientView>(before, after, AUDITED_FIELDS);
      await recordAdminChange(audit, request.caller, { type, tenantId: after.tenantId, subject: clientId, detail });
      return 'client' in result ? withClientSecret(result) : result;
    };
  }

  const action = (path: string, operationId: string, summary: string, returnsSecret = false) => ({
    method: 'POST' as const, path: `/clients/{clientId}/${path}`, operationId, summary, tag: TAG, access: 'tenant' as const, status: 200 as const,
    response: { ref: returnsSecret ? 'ClientWithSecret' : 'Client' }, returnsSecret,
  });

  return [
    route({
      method: 'GET', path: '/clients', operationId: 'listClients', summary: 'List clients (a tenant admin: their tenant only)', tag: TAG,
      access: 'tenant', status: 200, response: { ref: 'Client', list: 'array' },
      query: TENANT_QUERY,
      handle: async ({ caller, query }) => page(await clients.list({ ...(query['tenant'] ? { tenant: query['tenant'] } : {}), scope: scopeOf(caller) })),
    }),
    route({
      method: 'POST', path: '/clients', operationId: 'createClient', summary: 'Create a client; the response holds its secret, shown only this once', tag: TAG,
      access: 'tenant', body: createClientBody, idempotent: true, status: 201, response: { ref: 'ClientWithSecret' }, returnsSecret: true,
      handle: async ({ ctx, caller, body }) => {
        refuseEscalation(ctx, caller, [...body.scopes, ...(body.token_exchange?.scopes ?? [])]);
        const tenant = await tenantForCreate(services, caller, body.tenant);
        const created = await clients.create({ ...body, tenant: tenant.id });
        await recordAdminChange(audit, caller, { type: 'client.created', tenantId: tenant.id, subject: created.client.clientId, detail: snapshot(created.client, AUDITED_FIELDS) });
        return withClientSecret(created);
      },
    }),
    route({
      method: 'GET', path: '/clients/{clientId}', operationId: 'getClient', summary: 'Read a client (never its secret); an app client with its redirect URIs', tag: TAG,
      access: 'tenant', status: 200, response: { ref: 'Client' },
      handle: async ({ caller, params }) => {
        const view = clientView(await clients.get(params['clientId']!, scopeOf(caller)));
        const app = await registry.appClients.find(view.clientId);
        return app ? appClientView(view, app) : view;
      },
    }),
    route<UpdateClientInput>({
      method: 'PATCH', path: '/clients/{clientId}', operationId: 'updateClient', summary: "Change a client's token quota", tag: TAG,
      access: 'tenant', body: updateClientBody, status: 200, response: { ref: 'Client' },
      handle: change('client.updated', (id, { caller, body }) => clients.update(id, body as UpdateClientInput, scopeOf(caller))),
    }),
    route({
      ...action('disable', 'disableClient', 'Disable a client: no new tokens, issued tokens stop introspecting as active'),
      handle: change('client.disabled', (id, { caller }) => clients.setEnabled(id, false, scopeOf(caller))),
    }),
    route({
      ...action('enable', 'enableClient', 'Enable a disabled client'),
      handle: change('client.enabled', (id, { caller }) => clients.setEnabled(id, true, scopeOf(caller))),
    }),
    route({
      ...action('rotate-secret', 'rotateClientSecret', 'Replace the secret (the old one stops at once); the response holds the new secret, shown only this once', true),
      handle: change('client.secret_rotated', (id, { caller }) => clients.rotateSecret(id, scopeOf(caller))),
    }),
    route({
      ...action('revoke-tokens', 'revokeClientTokens', 'Revoke every token issued to the client so far'),
      handle: change('client.tokens_revoked', (id, { caller }) => clients.revokeTokens(id, scopeOf(caller))),
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
