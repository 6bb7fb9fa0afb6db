import { revokeAccountModels } from '../../adapters/revoke-account.js';
import type { AuditEventType } from '../audit/audit-log.js';
import { changeDetail, snapshot } from '../audit/changes.js';
import { notFound } from '../errors.js';
import { generateSecret } from '../registry/secrets.js';
import type { CreateUserInput, UserRepository, UserView } from '../users/index.js';
import { scopeOf, type Actor } from './actor.js';
import { audited } from './audit.js';

/** The fields a user's audit events record: never the password or its hash. */
export const USER_FIELDS = ['email', 'roles', 'enabled'] as const;

/** A user as `create` takes it: without a password, one is generated. */
export type CreateUserRequest = Omit<CreateUserInput, 'password'> & { password?: string };

/**
 * Users in the actor's reach: a tenant admin's change to another tenant's
 * user is `not_found`, as for an unknown id. Users are named by id here;
 * the CLI resolves an email first.
 */
export interface UserService {
  /** `user.created`. `password` is present only when it was generated: shown this once. */
  create(actor: Actor, input: CreateUserRequest): Promise<{ user: UserView; password?: string }>;
  /** `user.enabled` or `user.disabled`. */
  setEnabled(actor: Actor, userId: string, enabled: boolean): Promise<UserView>;
  /**
   * Sets or resets the password (argon2id; the same length rule as at
   * creation) and ends the user's sign-in sessions and grants, so refresh
   * tokens issued under the old password stop working. `user.password_set`,
   * which never holds the password.
   */
  setPassword(actor: Actor, userId: string, password: string): Promise<UserView>;
}

export function userService({ users, clock }: { users: UserRepository; clock: () => number }): UserService {
  const existing = async (actor: Actor, userId: string): Promise<UserView> => {
    const user = await users.findById(userId, scopeOf(actor));
    if (!user) throw notFound(`user ${userId} does not exist`);
    return user;
  };
  const described = (actor: Actor, type: AuditEventType, before: UserView) =>
    audited<UserView>(actor, clock, (after) => ({ type, tenantId: after.tenantId, subject: after.id, detail: changeDetail(before, after, USER_FIELDS) }));

  return {
    async create(actor, input) {
      const password = input.password ?? generateSecret();
      const user = await users.create(
        { ...input, password },
        audited(actor, clock, (user) => ({ type: 'user.created', tenantId: user.tenantId, subject: user.id, detail: snapshot(user, USER_FIELDS) })),
      );
      return input.password === undefined ? { user, password } : { user };
    },
    async setEnabled(actor, userId, enabled) {
      const before = await existing(actor, userId);
      return users.setEnabled(before.id, enabled, scopeOf(actor), described(actor, enabled ? 'user.enabled' : 'user.disabled', before));
    },
    async setPassword(actor, userId, password) {
      const before = await existing(actor, userId);
      const record = audited<UserView>(actor, clock, (after) => ({ type: 'user.password_set', tenantId: after.tenantId, subject: after.id }));
      return users.setPassword(before.id, { password }, scopeOf(actor), async (db, after) => {
        await revokeAccountModels(db, after.id);
        await record(db, after);
      });
    },
  };
}
