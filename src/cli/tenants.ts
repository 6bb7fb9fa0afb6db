import type { CommandContext } from '../cli.js';
import { invalidRequest } from '../errors.js';
import { CLI_ACTOR } from '../services/index.js';
import { quota, required } from './args.js';
import type { Output } from './output.js';
import { servicesFor } from './services.js';

export const tenantCommands: Record<string, (context: CommandContext) => Promise<Output>> = {
  'tenants create': async (context) => {
    const { args, values } = context;
    const tokenQuota = quota(values['token-quota']);
    return servicesFor(context).tenants.create(CLI_ACTOR, {
      slug: required(args[0], 'tenant slug'),
      name: values.name ?? required(args[0], 'name'),
      ...(tokenQuota !== undefined ? { token_quota: tokenQuota } : {}),
    });
  },
  'tenants list': async ({ registry }) => registry.tenants.list(),
  'tenants update': async (context) => {
    const { args, values } = context;
    const tokenQuota = quota(values['token-quota']);
    if (tokenQuota === undefined) throw invalidRequest('nothing to update: give --token-quota <count>/<unit> or --token-quota none');
    return servicesFor(context).tenants.update(CLI_ACTOR, required(args[0], 'tenant slug'), { token_quota: tokenQuota });
  },
};
