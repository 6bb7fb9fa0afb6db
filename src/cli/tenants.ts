import { invalidRequest } from '../errors.js';
import { CLI_ACTOR } from '../services/index.js';
import { quota, required } from './args.js';
import { defineCommand } from './command.js';
import { servicesFor } from './services.js';

const TOKEN_QUOTA = { type: 'string', value: '<count>/<unit>|none', description: 'tokens the tenant\'s clients may get together per window (s, min, h, day); none removes it' } as const;

export const tenantCommands = [
  defineCommand({
    name: 'tenants create',
    summary: 'create a tenant',
    positionals: [{ name: 'slug', description: 'lowercase letters, digits and hyphens (acme, acme-eu)', required: true }],
    options: {
      name: { type: 'string', value: '<name>', description: 'display name (default: the slug)' },
      'token-quota': TOKEN_QUOTA,
    },
    examples: ['tollgate tenants create acme --name "Acme Corp" --token-quota 10000/h'],
    run: async (context) => {
      const { args, values } = context;
      const tokenQuota = quota(values['token-quota']);
      return servicesFor(context).tenants.create(CLI_ACTOR, {
        slug: required(args[0], 'tenant slug'),
        name: values.name ?? required(args[0], 'name'),
        ...(tokenQuota !== undefined ? { token_quota: tokenQuota } : {}),
      });
    },
  }),
  defineCommand({
    name: 'tenants list',
    summary: 'list tenants',
    options: {},
    columns: ['slug', 'name', 'token_quota', 'id'],
    examples: ['tollgate tenants list', 'tollgate tenants list --fields slug'],
    run: async ({ registry }) => registry.tenants.list(),
  }),
  defineCommand({
    name: 'tenants update',
    summary: 'change a tenant\'s token quota',
    positionals: [{ name: 'slug', description: 'the tenant', required: true }],
    options: { 'token-quota': TOKEN_QUOTA },
    examples: ['tollgate tenants update acme --token-quota 50000/day', 'tollgate tenants update acme --token-quota none'],
    run: async (context) => {
      const { args, values } = context;
      const tokenQuota = quota(values['token-quota']);
      if (tokenQuota === undefined) throw invalidRequest('nothing to update: give --token-quota <count>/<unit> or --token-quota none');
      return servicesFor(context).tenants.update(CLI_ACTOR, required(args[0], 'tenant slug'), { token_quota: tokenQuota });
    },
  }),
];
