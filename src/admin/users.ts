import { notFound } from '../errors.js';
import { adminActor } from '../services/index.js';
import { userView, type SetPasswordInput, type UserView } from '../users/index.js';
import { page, scopeOf, TENANT_QUERY, tenantForCreate, type AdminServices } from './context.js';
import { snakeCased } from './presenters.js';
import { route, type AdminRequest, type CompiledRoute } from './route.js';
import { createUserBody, setPasswordBody, type CreateUserBody } from './schemas.js';

const TAG = 'Users';

/**
 * The people who sign in to a tenant's apps, as `tollgate users` manages
 * them. Every read and change passes the caller's tenant scope on, so
 * another tenant's user is 404 like an unknown id. A password hash never
 * leaves the repository: every answer is a `UserView`.
 */
export function userRoutes(services: AdminServices): CompiledRoute[] {
  const { users } = services;
  const userService = services.services.users;

  /** By id only (not by email as the CLI also allows): the path names one object. */
  const find = async (userId: string, caller: AdminRequest<unknown>['caller']): Promise<UserView> => {
    const user = await users.findById(userId, scopeOf(caller));
    if (!user) throw notFound(`user ${userId} does not exist`);
    return userView(user);
  };

  const setEnabled = (enabled: boolean) => async ({ caller, params }: AdminRequest<unknown>) =>
    snakeCased(await userService.setEnabled(adminActor(caller), params['userId']!, enabled));

  const action = (path: string, operationId: string, summary: string) => ({
    method: 'POST' as const, path: `/users/{userId}/${path}`, operationId, summary, tag: TAG, access: 'tenant' as const, status: 200 as const,
    response: { ref: 'User' },
  });

  return [
    route({
      method: 'GET', path: '/users', operationId: 'listUsers', summary: 'List users (a tenant admin: their tenant only; never a password or its hash)', tag: TAG,
      access: 'tenant', status: 200, response: { ref: 'User', list: 'array' },
      query: TENANT_QUERY,
      handle: async ({ caller, query }) => page((await users.list({ ...(query['tenant'] ? { tenant: query['tenant'] } : {}), scope: scopeOf(caller) })).map(snakeCased)),
    }),
    route<CreateUserBody>({
      method: 'POST', path: '/users', operationId: 'createUser',
      summary: 'Create a user; without `password` one is generated and returned in this response only', tag: TAG,
      access: 'tenant', body: createUserBody, idempotent: true, status: 201, response: { ref: 'UserWithPassword' }, returnsSecret: true,
      handle: async ({ caller, body }) => {
        const tenant = await tenantForCreate(services, caller, body.tenant);
        const { user, password } = await userService.create(adminActor(caller), {
          tenant: tenant.id,
          email: body.email,
          ...(body.password === undefined ? {} : { password: body.password }),
          ...(body.roles ? { roles: body.roles } : {}),
        });
        return password === undefined ? snakeCased(user) : { ...snakeCased(user), password };
      },
    }),
    route({
      method: 'GET', path: '/users/{userId}', operationId: 'getUser', summary: 'Read a user (never a password or its hash)', tag: TAG,
      access: 'tenant', status: 200, response: { ref: 'User' },
      handle: async ({ caller, params }) => snakeCased(await find(params['userId']!, caller)),
    }),
    route<SetPasswordInput>({
      method: 'PUT', path: '/users/{userId}/password', operationId: 'setUserPassword',
      summary: "Set or reset a user's password; the user's sessions and refresh tokens end (the password is never returned or recorded)", tag: TAG,
      access: 'tenant', body: setPasswordBody, status: 200, response: { ref: 'User' },
      handle: async ({ caller, params, body }) => snakeCased(await userService.setPassword(adminActor(caller), params['userId']!, body.password)),
    }),
    route({ ...action('disable', 'disableUser', 'Disable a user: sign-in is refused from now on'), handle: setEnabled(false) }),
    route({ ...action('enable', 'enableUser', 'Enable a disabled user'), handle: setEnabled(true) }),
  ];
}
