import type { CommandContext } from '../cli.js';
import { splitList } from '../registry/input.js';
import { CLI_ACTOR } from '../services/index.js';
import { UserRepository, type UserView } from '../users/index.js';
import { required } from './args.js';
import type { Output } from './output.js';
import { servicesFor } from './services.js';

/** The password piped in (`--password-stdin`), without the final newline `echo` adds. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

const usersOf = ({ database, registry }: CommandContext) => new UserRepository(database.knex, registry.tenants);

async function setEnabled(context: CommandContext, enabled: boolean): Promise<UserView> {
  const user = await usersOf(context).get(required(context.args[0], 'user id or email'), context.values.tenant);
  return servicesFor(context).users.setEnabled(CLI_ACTOR, user.id, enabled);
}

export const userCommands: Record<string, (context: CommandContext) => Promise<Output>> = {
  /**
   * Without --password-stdin a random password is generated and shown once
   * (the password never appears in the process list or shell history).
   */
  'users create': async (context) => {
    const { values } = context;
    const { user, password } = await servicesFor(context).users.create(CLI_ACTOR, {
      tenant: required(values.tenant, '--tenant'),
      email: required(values.email, '--email'),
      ...(values['password-stdin'] ? { password: await readStdin() } : {}),
      roles: splitList(values.roles),
    });
    return password === undefined ? user : { ...user, password };
  },
  'users list': async (context) => usersOf(context).list(context.values.tenant ? { tenant: context.values.tenant } : {}),
  'users disable': (context) => setEnabled(context, false),
  'users enable': (context) => setEnabled(context, true),
};
