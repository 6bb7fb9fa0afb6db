import { invalidRequest } from '../errors.js';
import { splitList } from '../registry/input.js';
import { CLI_ACTOR } from '../services/index.js';
import { integer, required } from './args.js';
import { defineCommand } from './command.js';
import { servicesFor } from './services.js';

const SHARE_WITH = { type: 'string', value: '"<slug> <slug>"|\'*\'', description: 'other tenants that may use it, by slug; * for every tenant' } as const;

export const resourceCommands = [
  defineCommand({
    name: 'resources create',
    summary: 'register a resource server (an API tokens are issued for)',
    positionals: [{ name: 'audience', description: 'the API\'s identifier, an absolute URI (https://api.acme.test)', required: true }],
    options: {
      scopes: { type: 'string', value: '"<s1> <s2>"', description: 'the scopes it understands, space-separated' },
      name: { type: 'string', value: '<name>', description: 'display name' },
      ttl: { type: 'string', value: '<seconds>', description: 'access token lifetime' },
      format: { type: 'string', value: 'jwt|opaque', description: 'access token format (default jwt)' },
      tenant: { type: 'string', value: '<slug>', description: 'the tenant that owns it (default: shared by every tenant)' },
      'share-with': SHARE_WITH,
    },
    examples: ['tollgate resources create https://api.acme.test --scopes "read:projects write:projects" --tenant acme'],
    run: async (context) => {
      const { args, values } = context;
      return servicesFor(context).resources.create(CLI_ACTOR, {
        audience: required(args[0], 'audience'),
        scopes: splitList(values.scopes),
        ...(values.name ? { name: values.name } : {}),
        ...(values.ttl ? { access_token_ttl: integer(values.ttl, '--ttl')! } : {}),
        ...(values.format ? { token_format: values.format as 'jwt' | 'opaque' } : {}),
        ...(values.tenant ? { tenant: values.tenant } : {}),
        ...(values['share-with'] ? { shared_with: splitList(values['share-with']) } : {}),
      });
    },
  }),
  defineCommand({
    name: 'resources share',
    summary: 'replace the tenants a resource server is shared with',
    positionals: [{ name: 'audience', description: 'the resource server', required: true }],
    options: { 'share-with': { ...SHARE_WITH, value: '"<slug> <slug>"|\'*\'|none', description: 'the tenants that may use it from now on; none for its owner only', required: true } },
    examples: ['tollgate resources share https://api.acme.test --share-with "globex initech"'],
    run: async (context) => {
      const { args, values } = context;
      const sharedWith = required(values['share-with'], '--share-with');
      return servicesFor(context).resources.share(CLI_ACTOR, required(args[0], 'audience'), { shared_with: sharedWith === 'none' ? [] : splitList(sharedWith) });
    },
  }),
  defineCommand({
    name: 'resources list',
    summary: 'list resource servers',
    options: { tenant: { type: 'string', value: '<slug>', description: 'only those this tenant may use' } },
    columns: ['audience', 'name', 'tenant_id', 'token_format', 'scopes'],
    run: async ({ registry, values }) => {
      if (!values.tenant) return registry.resources.list();
      const tenant = await registry.tenants.findBySlugOrId(values.tenant);
      if (!tenant) throw invalidRequest(`tenant ${values.tenant} does not exist`);
      return registry.resources.list({ usableBy: tenant.id });
    },
  }),
];
