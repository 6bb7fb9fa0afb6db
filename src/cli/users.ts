import { changeDetail, snapshot } from '../audit/changes.js';
import type { CommandContext } from '../cli.js';
import { generateSecret } from '../registry/secrets.js';
import { splitList } from '../registry/input.js';
import { USER_FIELDS, UserRepository, type UserView } from '../users/index.js';
import { required } from './args.js';
import type { Output } from './output.js';

/** The password piped in (`--password-stdin`), without the final newline `echo` adds. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

const usersOf = ({ database, registry }: CommandContext) => new UserRepository(database.knex, registry.tenants);

async function setEnabled(context: CommandContext, enabled: boolean): Promise<UserView> {
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

export const userCommands: Record<string, (context: CommandContext) => Promise<Output>> = {
  /**
   * Without --password-stdin a random password is generated and shown once
   * (the password never appears in the process list or shell history).
   */
  'users create': async (context) => {
    const { values, audit } = context;
    const generated = values['password-stdin'] ? undefined : generateSecret();
    const user = await usersOf(context).create({
      tenant: required(values.tenant, '--tenant'),
      email: required(values.email, '--email'),
      password: generated ?? (await readStdin()),
      roles: splitList(values.roles),
    });
    await audit.record({ type: 'user.created', actor: 'cli', tenantId: user.tenantId, subject: user.id, detail: snapshot(user, USER_FIELDS) });
    return generated ? { ...user, password: generated } : user;
  },
  'users list': async (context) => usersOf(context).list(context.values.tenant ? { tenant: context.values.tenant } : {}),
  'users disable': (context) => setEnabled(context, false),
  'users enable': (context) => setEnabled(context, true),
};
