import type { CommandContext } from '../cli.js';
import { clientView, withClientSecret } from '../registry/clients.js';
import { splitList } from '../registry/input.js';
import { invalidRequest } from '../errors.js';
import { CLI_ACTOR } from '../services/index.js';
import { adminClientInput } from './admin-client.js';
import { integer, quota, required } from './args.js';
import { createAppClient } from './app-clients.js';
import type { Output } from './output.js';
import { clientProofInput } from './client-proof-args.js';
import { servicesFor } from './services.js';

export const clientCommands: Record<string, (context: CommandContext) => Promise<Output>> = {
  'clients create': async (context) => {
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
  'clients update': async (context) => {
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
  'clients list': async ({ registry, values }) => registry.clients.list(values.tenant ? { tenant: values.tenant } : {}),
  'clients show': async ({ registry, args }) => clientView(await registry.clients.get(required(args[0], 'client_id'))),
  'clients disable': async (context) => servicesFor(context).clients.setEnabled(CLI_ACTOR, required(context.args[0], 'client_id'), false),
  'clients enable': async (context) => servicesFor(context).clients.setEnabled(CLI_ACTOR, required(context.args[0], 'client_id'), true),
  'clients rotate-secret': async (context) =>
    withClientSecret(await servicesFor(context).clients.rotateSecret(CLI_ACTOR, required(context.args[0], 'client_id'))),
  'clients revoke-tokens': async (context) => servicesFor(context).clients.revokeTokens(CLI_ACTOR, required(context.args[0], 'client_id')),
};
