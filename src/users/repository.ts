import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { JSONSchemaType } from 'ajv';
import { conflict, invalidRequest, notFound } from '../errors.js';
import { compileInput, EMAIL, isStorableText, parseList, ROLE } from '../registry/input.js';
import type { TenantScope } from '../registry/tenant-scope.js';
import type { TenantRepository } from '../registry/tenants.js';
import { hashSecret } from '../registry/secrets.js';
import { writeWith, type WithinWrite } from '../registry/within-write.js';

/** A person who signs in to a tenant's apps (the password only as a hash). */
export interface User {
  id: string;
  tenantId: string;
  tenantSlug: string;
  email: string;
  passwordHash: string;
  roles: string[];
  enabled: boolean;
  createdAt: number;
  updatedAt: number;
}

export type UserView = Omit<User, 'passwordHash'>;

export interface CreateUserInput {
  tenant: string;
  email: string;
  password: string;
  roles?: string[];
}

/** NIST SP 800-63B: at least 8 characters; 1024 bounds the argon2 input. */
const PASSWORD_MIN_LENGTH = 8;

/** Exported for the admin API, which validates with it and publishes it in its OpenAPI document. */
export const createUserSchema = {
  type: 'object',
  properties: {
    tenant: { type: 'string', minLength: 1, maxLength: 64 },
    // Deliberately loose: one @, no spaces; the mailbox is the owner's business.
    email: { type: 'string', pattern: EMAIL, maxLength: 320 },
    password: { type: 'string', minLength: PASSWORD_MIN_LENGTH, maxLength: 1024 },
    roles: { type: 'array', items: { type: 'string', pattern: ROLE }, uniqueItems: true, maxItems: 100, nullable: true },
  },
  required: ['tenant', 'email', 'password'],
  additionalProperties: false,
} satisfies JSONSchemaType<CreateUserInput>;
const createUserInput = compileInput<CreateUserInput>(createUserSchema);

export interface SetPasswordInput {
  password: string;
}

/** A new password, held to the same rule as one given at creation. */
export const setPasswordSchema = {
  type: 'object',
  properties: { password: createUserSchema.properties.password },
  required: ['password'],
  additionalProperties: false,
} satisfies JSONSchemaType<SetPasswordInput>;
const setPasswordInput = compileInput<SetPasswordInput>(setPasswordSchema);

interface UserRow {
  id: string;
  tenant_id: string;
  email: string;
  password_hash: string;
  roles: string;
  enabled: boolean | number;
  created_at: number | string;
  updated_at: number | string;
}

const toUser = (row: UserRow & { tenant_slug: string }): User => ({
  id: row.id,
  tenantId: row.tenant_id,
  tenantSlug: row.tenant_slug,
  email: row.email,
  passwordHash: row.password_hash,
  roles: parseList(row.roles),
  enabled: Boolean(row.enabled),
  createdAt: Number(row.created_at),
  updatedAt: Number(row.updated_at),
});

export function userView(user: User): UserView {
  const { passwordHash: _hidden, ...view } = user;
  return view;
}

export const normaliseEmail = (email: string): string => email.trim().toLowerCase();

export class UserRepository {
  constructor(
    private readonly knex: Knex,
    private readonly tenants: TenantRepository,
  ) {}

  #select(db: Knex = this.knex) {
    return db('users').join('tenants', 'tenants.id', 'users.tenant_id').select('users.*', 'tenants.slug as tenant_slug');
  }

  /** `within` runs in the insert's transaction (within-write.ts). */
  async create(input: CreateUserInput, within?: WithinWrite<UserView>): Promise<UserView> {
    const valid = createUserInput(input);
    const tenant = await this.tenants.findBySlugOrId(valid.tenant);
    if (!tenant) throw invalidRequest(`tenant ${valid.tenant} does not exist`);
    const email = normaliseEmail(valid.email);
    if (await this.findByEmail(tenant.id, email)) throw conflict(`user ${email} already exists in tenant ${tenant.slug}`);
    const now = Date.now();
    const row: UserRow = {
      id: randomUUID(),
      tenant_id: tenant.id,
      email,
      password_hash: await hashSecret(valid.password),
      roles: JSON.stringify(valid.roles ?? []),
      enabled: true,
      created_at: now,
      updated_at: now,
    };
    return writeWith(this.knex, async (db) => {
      await db('users').insert(row);
      return userView(toUser({ ...row, tenant_slug: tenant.slug }));
    }, within);
  }

  async findByEmail(tenantId: string, email: string): Promise<User | undefined> {
    const normalised = normaliseEmail(email);
    if (!isStorableText(normalised) || !isStorableText(tenantId)) return undefined;
    const row = await this.#select().where({ 'users.tenant_id': tenantId, 'users.email': normalised }).first();
    return row && toUser(row);
  }

  /** With `scope`, a user of another tenant is not found (the tenant is in the WHERE clause). */
  async findById(id: string, scope?: TenantScope): Promise<User | undefined> {
    if (!isStorableText(id)) return undefined;
    const query = this.#select().where('users.id', id);
    if (scope) query.andWhere('users.tenant_id', scope.tenantId);
    const row = await query.first();
    return row && toUser(row);
  }

  /** A user by id, or by email within `tenant` (slug or id). */
  async get(idOrEmail: string, tenant?: string): Promise<User> {
    let user: User | undefined;
    if (idOrEmail.includes('@')) {
      const found = tenant ? await this.tenants.findBySlugOrId(tenant) : undefined;
      if (!found) throw invalidRequest('--tenant is required to find a user by email');
      user = await this.findByEmail(found.id, idOrEmail);
    } else {
      user = await this.findById(idOrEmail);
    }
    if (!user) throw notFound(`user ${idOrEmail} does not exist`);
    return user;
  }

  async list(filter: { tenant?: string; scope?: TenantScope } = {}): Promise<UserView[]> {
    const query = this.#select().orderBy('users.created_at');
    if (filter.tenant) query.where((where) => where.where('tenants.slug', filter.tenant).orWhere('tenants.id', filter.tenant));
    if (filter.scope) query.where('users.tenant_id', filter.scope.tenantId);
    const rows: (UserRow & { tenant_slug: string })[] = await query;
    return rows.map((row) => userView(toUser(row)));
  }

  setEnabled(id: string, enabled: boolean, scope?: TenantScope, within?: WithinWrite<UserView>): Promise<UserView> {
    return this.#update(id, { enabled }, scope, within);
  }

  /**
   * Replaces the password (argon2id, hashed before the transaction opens);
   * the new one is held to the rule a created user's is. With `scope`, a
   * user of another tenant is not found.
   */
  async setPassword(id: string, input: SetPasswordInput, scope?: TenantScope, within?: WithinWrite<UserView>): Promise<UserView> {
    const { password } = setPasswordInput(input);
    return this.#update(id, { password_hash: await hashSecret(password) }, scope, within);
  }

  /** Updates the user in `scope` and answers it as it is after the change, read in the same transaction. */
  async #update(id: string, changes: Partial<UserRow>, scope: TenantScope | undefined, within?: WithinWrite<UserView>): Promise<UserView> {
    if (!isStorableText(id)) throw notFound(`user ${id} does not exist`);
    return writeWith(this.knex, async (db) => {
      const updated = await db('users')
        .where({ id, ...(scope ? { tenant_id: scope.tenantId } : {}) })
        .update({ ...changes, updated_at: Date.now() });
      const row = updated ? await this.#select(db).where('users.id', id).first() : undefined;
      if (!row) throw notFound(`user ${id} does not exist`);
      return userView(toUser(row));
    }, within);
  }
}
