import { changeDetail, snapshot } from '../audit/changes.js';
import { generateSecret } from '../registry/secrets.js';
import { splitList } from '../registry/input.js';
import { USER_FIELDS, UserRepository, type UserView } from '../users/index.js';
import { existingTenant, required } from './args.js';
import { defineCommand, type BaseContext, type CommandContext } from './command.js';
import type { CliIo } from './io.js';

/** The password piped in (`--password-stdin`), without the final newline `echo` adds. */
async function readStdin(stdin: CliIo['stdin']): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

const usersOf = ({ database, registry }: Pick<BaseContext, 'database' | 'registry'>) => new UserRepository(database.knex, registry.tenants);

const ENABLE_OPTIONS = { tenant: { type: 'string', value: '<slug>', description: 'the user\'s tenant, when an email is given' } } as const;
const USER = { name: 'id|email', description: 'the user', required: true } as const;

async function setEnabled(context: CommandContext<typeof ENABLE_OPTIONS>, enabled: boolean): Promise<UserView> {
  const users = usersOf(context);
  const user = await users.get(required(context.args[0], 'user id or email'), context.values.tenant);
  const after = await users.setEnabled(user.id, enabled);
  await context.audit.record({
    type: enabled ? 'user.enabled' : 'user.disabled',
    actor: 'cli',
    tenantId: user.tenantId,
    subject: user.id,
    detail: changeDetail(user, after, USER_FIELDS),
  });
  return after;
}

export const userCommands = [
  defineCommand({
    name: 'users create',
    summary: 'create a user who signs in to the tenant\'s apps',
    options: {
      tenant: { type: 'string', value: '<slug>', description: 'the user\'s tenant', required: true },
      email: { type: 'string', value: '<email>', description: 'what the user signs in with', required: true },
      roles: { type: 'string', value: '"<r1> <r2>"', description: 'roles put in the user\'s tokens' },
      'password-stdin': { type: 'boolean', description: 'read the password from stdin; without it a password is generated and shown once' },
    },
    examples: ['tollgate users create --tenant acme --email ada@acme.test', 'printf %s "$PASSWORD" | tollgate users create --tenant acme --email ada@acme.test --password-stdin'],
    /**
     * Without --password-stdin a random password is generated and shown once
     * (the password never appears in the process list or shell history).
     */
    run: async (context) => {
      const { values, audit } = context;
      const generated = values['password-stdin'] ? undefined : generateSecret();
      const user = await usersOf(context).create({
        tenant: required(values.tenant, '--tenant'),
        email: required(values.email, '--email'),
        password: generated ?? (await readStdin(context.io.stdin)),
        roles: splitList(values.roles),
      });
      await audit.record({ type: 'user.created', actor: 'cli', tenantId: user.tenantId, subject: user.id, detail: snapshot(user, USER_FIELDS) });
      return generated ? { ...user, password: generated } : user;
    },
  }),
  defineCommand({
    name: 'users list',
    summary: 'list users',
    options: { tenant: { type: 'string', value: '<slug>', description: 'only this tenant\'s users' } },
    columns: ['id', 'email', 'tenant_slug', 'roles', 'enabled'],
    run: async (context) => {
      if (context.values.tenant) await existingTenant(context.registry, context.values.tenant);
      return usersOf(context).list(context.values.tenant ? { tenant: context.values.tenant } : {});
    },
  }),
  defineCommand({
    name: 'users disable',
    summary: 'refuse the user\'s sign-ins until enabled again',
    positionals: [USER],
    options: ENABLE_OPTIONS,
    run: (context) => setEnabled(context, false),
  }),
  defineCommand({
    name: 'users enable',
    summary: 'enable a disabled user',
    positionals: [USER],
    options: ENABLE_OPTIONS,
    run: (context) => setEnabled(context, true),
  }),
];
