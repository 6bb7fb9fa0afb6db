import type { CommandContext } from '../cli.js';
import { invalidRequest } from '../errors.js';
import { quota, required } from './args.js';
import type { Output } from './output.js';

export const tenantCommands: Record<string, (context: CommandContext) => Promise<Output>> = {
  'tenants create': async ({ registry, args, values }) => {
    const tokenQuota = quota(values['token-quota']);
    return registry.tenants.create({
      slug: required(args[0], 'tenant slug'),
      name: values.name ?? required(args[0], 'name'),
      ...(tokenQuota !== undefined ? { token_quota: tokenQuota } : {}),
    });
  },
  'tenants list': async ({ registry }) => registry.tenants.list(),
  'tenants update': async ({ registry, audit, args, values }) => {
    const tokenQuota = quota(values['token-quota']);
    if (tokenQuota === undefined) throw invalidRequest('nothing to update: give --token-quota <count>/<unit> or --token-quota none');
    const tenant = await registry.tenants.update(required(args[0], 'tenant slug'), { token_quota: tokenQuota });
    await audit.record({ type: 'tenant.updated', actor: 'cli', tenantId: tenant.id, subject: tenant.slug, detail: { token_quota: tokenQuota } });
    return tenant;
  },
};
