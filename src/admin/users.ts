import type { AuditEventType } from '../audit/audit-log.js';
import { changeDetail, snapshot } from '../audit/changes.js';
import { notFound } from '../errors.js';
import { generateSecret } from '../registry/secrets.js';
import { USER_FIELDS, userView, type UserView } from '../users/index.js';
import { recordAdminChange } from './audit.js';
import { page, scopeOf, TENANT_QUERY, tenantForCreate, type AdminServices } from './context.js';
import { route, type AdminRequest, type CompiledRoute } from './route.js';
import { createUserBody, type CreateUserBody } from './schemas.js';

const TAG = 'Users';

/**
 * The people who sign in to a tenant's apps, as `tollgate users` manages
 * them. Every read and change passes the caller's tenant scope to the
 * repository, so another tenant's user is 404 like an unknown id. A
 * password hash never leaves the repository: every answer is a `UserView`.
 */
export function userRoutes(services: AdminServices): CompiledRoute[] {
  const { users, audit } = services;

  /** By id only (not by email as the CLI also allows): the path names one object. */
  const find = async (userId: string, caller: AdminRequest<unknown>['caller']): Promise<UserView> => {
    const user = await users.findById(userId, scopeOf(caller));
    if (!user) throw notFound(`user ${userId} does not exist`);
    return userView(user);
  };

  /** Disable or enable, in the caller's scope, recorded with its before/after as the CLI records it. */
  const setEnabled = (enabled: boolean, type: AuditEventType) => async ({ caller, params }: AdminRequest<unknown>): Promise<UserView> => {
    const before = await find(params['userId']!, caller);
    const after = await users.setEnabled(before.id, enabled, scopeOf(caller));
    await recordAdminChange(audit, caller, { type, tenantId: after.tenantId, subject: after.id, detail: changeDetail(before, after, USER_FIELDS) });
    return after;
  };

  const action = (path: string, operationId: string, summary: string) => ({
    method: 'POST' as const, path: `/users/{userId}/${path}`, operationId, summary, tag: TAG, access: 'tenant' as const, status: 200 as const,
    response: { ref: 'User' },
  });

  return [
    route({
      method: 'GET', path: '/users', operationId: 'listUsers', summary: 'List users (a tenant admin: their tenant only; never a password or its hash)', tag: TAG,
      access: 'tenant', status: 200, response: { ref: 'User', list: 'array' },
      query: TENANT_QUERY,
      handle: async ({ caller, query }) => page(await users.list({ ...(query['tenant'] ? { tenant: query['tenant'] } : {}), scope: scopeOf(caller) })),
    }),
    route<CreateUserBody>({
      method: 'POST', path: '/users', operationId: 'createUser',
      summary: 'Create a user; without `password` one is generated and returned in this response only', tag: TAG,
      access: 'tenant', body: createUserBody, idempotent: true, status: 201, response: { ref: 'UserWithPassword' }, returnsSecret: true,
      handle: async ({ caller, body }) => {
        const tenant = await tenantForCreate(services, caller, body.tenant);
        // As `users create` without --password-stdin: a random password, shown once.
        const generated = body.password === undefined ? generateSecret() : undefined;
        const user = await users.create({
          tenant: tenant.id,
          email: body.email,
          password: body.password ?? generated!,
          ...(body.roles ? { roles: body.roles } : {}),
        });
        await recordAdminChange(audit, caller, { type: 'user.created', tenantId: user.tenantId, subject: user.id, detail: snapshot(user, USER_FIELDS) });
        return generated ? { ...user, password: generated } : user;
      },
    }),
    route({
      method: 'GET', path: '/users/{userId}', operationId: 'getUser', summary: 'Read a user (never a password or its hash)', tag: TAG,
      access: 'tenant', status: 200, response: { ref: 'User' },
      handle: ({ caller, params }) => find(params['userId']!, caller),
    }),
    route({ ...action('disable', 'disableUser', 'Disable a user: sign-in is refused from now on'), handle: setEnabled(false, 'user.disabled') }),
    route({ ...action('enable', 'enableUser', 'Enable a disabled user'), handle: setEnabled(true, 'user.enabled') }),
  ];
}
