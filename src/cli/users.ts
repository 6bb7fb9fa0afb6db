import { splitList } from '../registry/input.js';
import { CLI_ACTOR } from '../services/index.js';
import { UserRepository, type UserView } from '../users/index.js';
import { existingTenant, required } from './args.js';
import { defineCommand, type BaseContext, type CommandContext } from './command.js';
import type { CliIo } from './io.js';
import { servicesFor } from './services.js';

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
  const user = await usersOf(context).get(required(context.args[0], 'user id or email'), context.values.tenant);
  return servicesFor(context).users.setEnabled(CLI_ACTOR, user.id, enabled);
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
      const { values } = context;
      const { user, password } = await servicesFor(context).users.create(CLI_ACTOR, {
        tenant: required(values.tenant, '--tenant'),
        email: required(values.email, '--email'),
        ...(values['password-stdin'] ? { password: await readStdin(context.io.stdin) } : {}),
        roles: splitList(values.roles),
      });
      return password === undefined ? user : { ...user, password };
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
  defineCommand({
    name: 'users set-password',
    summary: 'set or reset a user\'s password (read from stdin); ends the user\'s sessions and refresh tokens',
    positionals: [USER],
    options: ENABLE_OPTIONS,
    examples: ['printf %s "$NEW_PASSWORD" | tollgate users set-password ada@acme.test --tenant acme'],
    run: async (context) => {
      const user = await usersOf(context).get(required(context.args[0], 'user id or email'), context.values.tenant);
      return servicesFor(context).users.setPassword(CLI_ACTOR, user.id, await readStdin(context.io.stdin));
    },
  }),
];
