import { changeDetail, snapshot } from '../audit/changes.js';
import type { CommandContext } from '../cli.js';
import { invalidRequest } from '../errors.js';
import { TENANT_FIELDS } from '../registry/tenants.js';
import { quota, required } from './args.js';
import type { Output } from './output.js';

export const tenantCommands: Record<string, (context: CommandContext) => Promise<Output>> = {
  'tenants create': async ({ registry, audit, args, values }) => {
    const tokenQuota = quota(values['token-quota']);
    const tenant = await registry.tenants.create({
      slug: required(args[0], 'tenant slug'),
      name: values.name ?? required(args[0], 'name'),
      ...(tokenQuota !== undefined ? { token_quota: tokenQuota } : {}),
    });
    await audit.record({ type: 'tenant.created', actor: 'cli', tenantId: tenant.id, subject: tenant.slug, detail: snapshot(tenant, TENANT_FIELDS) });
    return tenant;
  },
  'tenants list': async ({ registry }) => registry.tenants.list(),
  'tenants update': async ({ registry, audit, args, values }) => {
    const tokenQuota = quota(values['token-quota']);
    if (tokenQuota === undefined) throw invalidRequest('nothing to update: give --token-quota <count>/<unit> or --token-quota none');
    const slug = required(args[0], 'tenant slug');
    const before = await registry.tenants.findBySlugOrId(slug);
    const tenant = await registry.tenants.update(slug, { token_quota: tokenQuota });
    const detail = before ? changeDetail(before, tenant, TENANT_FIELDS) : snapshot(tenant, TENANT_FIELDS);
    await audit.record({ type: 'tenant.updated', actor: 'cli', tenantId: tenant.id, subject: tenant.slug, detail });
    return tenant;
  },
};
