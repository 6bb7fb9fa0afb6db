import { clientView, withClientSecret } from '../registry/clients.js';
import { CLI_ACTOR } from '../services/index.js';
import { splitList } from '../registry/input.js';
import { invalidRequest } from '../errors.js';
import { adminClientInput } from './admin-client.js';
import { existingTenant, integer, quota, required } from './args.js';
import { defineCommand } from './command.js';
import { servicesFor } from './services.js';
import { createAppClient } from './app-clients.js';
import { clientProofInput } from './client-proof-args.js';
import { CLIENT_CREATE_OPTIONS } from './client-options.js';

const CLIENT_ID = { name: 'client_id', description: 'the client', required: true } as const;
const COLUMNS = ['client_id', 'name', 'tenant_slug', 'enabled', 'token_endpoint_auth_method', 'scopes'];

export const clientCommands = [
  defineCommand({
    name: 'clients create',
    summary: 'create a client: a machine client (default), an admin API client, or an app that signs users in',
    options: CLIENT_CREATE_OPTIONS,
    usage: [
      'clients create --name <n> --tenant <slug> --resource <uri> --scopes "<s1> <s2>" [options]',
      'clients create --admin [--tenant <slug>] [--name <n>]',
      'clients create --grant authorization_code --name <n> --tenant <slug> --resource <uri> --scopes "<s1>" --redirect-uri <uri> [--public]',
    ],
    examples: [
      'tollgate clients create --name billing-job --tenant acme --resource https://api.acme.test --scopes "read:projects" --fields client_id,client_secret',
      'tollgate clients create --admin',
      'tollgate clients create --grant authorization_code --public --name cli-app --tenant acme --resource https://api.acme.test --scopes read:projects --redirect-uri http://127.0.0.1:8765/callback',
      'tollgate clients create --name signer --tenant acme --resource https://api.acme.test --scopes read:projects --auth private_key_jwt --jwks-file jwks.json --dpop-bound',
    ],
    run: async (context) => {
      const { values } = context;
      const grant = values.grant ?? 'client_credentials';
      if (grant === 'authorization_code') return createAppClient(context);
      if (grant !== 'client_credentials') throw invalidRequest('--grant must be client_credentials or authorization_code');
      return withClientSecret(await servicesFor(context).clients.create(CLI_ACTOR, values.admin ? await adminClientInput(context) : {
        name: required(values.name, '--name'),
        tenant: required(values.tenant, '--tenant'),
        resources: (values.resource ?? []).flatMap(splitList),
        scopes: splitList(values.scopes),
        roles: splitList(values.roles),
        ...(values['ip-allowlist'] ? { ip_allowlist: splitList(values['ip-allowlist']) } : {}),
        ...(values['cors-origins'] ? { cors_origins: splitList(values['cors-origins']) } : {}),
        ...(values['secret-expires-in'] ? { secret_expires_in: integer(values['secret-expires-in'], '--secret-expires-in')! } : {}),
        ...(values['token-quota'] !== undefined ? { token_quota: quota(values['token-quota']) } : {}),
        ...(values.introspect ? { introspect_audiences: splitList(values.introspect) } : {}),
        ...clientProofInput(values),
      }));
    },
  }),
  defineCommand({
    name: 'clients update',
    summary: 'change a client\'s token quota or the audiences it may introspect',
    positionals: [CLIENT_ID],
    options: {
      'token-quota': CLIENT_CREATE_OPTIONS['token-quota'],
      introspect: { ...CLIENT_CREATE_OPTIONS.introspect, value: '"<uri> …"|none', description: 'replaces the audiences whose tokens it may introspect; none for no introspection' },
    },
    examples: ['tollgate clients update 3f1c… --token-quota 1000/h', 'tollgate clients update 3f1c… --introspect none'],
    run: async (context) => {
      const tokenQuota = quota(context.values['token-quota']);
      const introspect = context.values.introspect;
      if (tokenQuota === undefined && introspect === undefined) {
        throw invalidRequest('nothing to update: give --token-quota <count>/<unit>|none or --introspect "<uri> …"|none');
      }
      const clientId = required(context.args[0], 'client_id');
      return servicesFor(context).clients.update(CLI_ACTOR, clientId, {
        ...(tokenQuota === undefined ? {} : { token_quota: tokenQuota }),
        ...(introspect === undefined ? {} : { introspect_audiences: introspect === 'none' ? [] : splitList(introspect) }),
      });
    },
  }),
  defineCommand({
    name: 'clients list',
    summary: 'list clients (a table of the main fields; --json for every field)',
    options: { tenant: { type: 'string', value: '<slug>', description: 'only this tenant\'s clients' } },
    columns: COLUMNS,
    examples: ['tollgate clients list --tenant acme', 'tollgate clients list --json'],
    run: async ({ registry, values }) => {
      if (values.tenant) await existingTenant(registry, values.tenant);
      return registry.clients.list(values.tenant ? { tenant: values.tenant } : {});
    },
  }),
  defineCommand({
    name: 'clients show',
    summary: 'show a client, every field',
    positionals: [CLIENT_ID],
    options: {},
    run: async ({ registry, args }) => clientView(await registry.clients.get(required(args[0], 'client_id'))),
  }),
  defineCommand({
    name: 'clients disable',
    summary: 'refuse the client\'s token requests and its tokens, until enabled again',
    positionals: [CLIENT_ID],
    options: {},
    run: async (context) => {
      const clientId = required(context.args[0], 'client_id');
      return servicesFor(context).clients.setEnabled(CLI_ACTOR, clientId, false);
    },
  }),
  defineCommand({
    name: 'clients enable',
    summary: 'enable a disabled client',
    positionals: [CLIENT_ID],
    options: {},
    run: async (context) => {
      const clientId = required(context.args[0], 'client_id');
      return servicesFor(context).clients.setEnabled(CLI_ACTOR, clientId, true);
    },
  }),
  defineCommand({
    name: 'clients rotate-secret',
    summary: 'give the client a new secret (shown once); the old one stops working',
    positionals: [CLIENT_ID],
    options: {},
    run: async (context) =>
      withClientSecret(await servicesFor(context).clients.rotateSecret(CLI_ACTOR, required(context.args[0], 'client_id'))),
  }),
  defineCommand({
    name: 'clients revoke-tokens',
    summary: 'revoke every token issued to the client so far',
    positionals: [CLIENT_ID],
    options: {},
    run: async (context) => {
      const clientId = required(context.args[0], 'client_id');
      return servicesFor(context).clients.revokeTokens(CLI_ACTOR, clientId);
    },
  }),
];
