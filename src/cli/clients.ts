import type { AuditDetail, AuditEventType } from '../audit/audit-log.js';
import { changeDetail, snapshot } from '../audit/changes.js';
import type { CommandContext } from '../cli.js';
import { AUDITED_FIELDS, clientView, withClientSecret, type ClientView } from '../registry/clients.js';
import { splitList } from '../registry/input.js';
import { invalidRequest } from '../errors.js';
import { adminClientInput } from './admin-client.js';
import { integer, quota, required } from './args.js';
import { createAppClient } from './app-clients.js';
import type { Output } from './output.js';
import { clientProofInput } from './client-proof-args.js';

/** Every change an operator makes to a client lands in the audit log. */
async function audited<T extends { client: ClientView } | ClientView>(
  { audit }: CommandContext,
  type: AuditEventType,
  result: T,
  detail?: AuditDetail,
): Promise<T> {
  const client: ClientView = 'client' in result ? result.client : (result as ClientView);
  await audit.record({ type, actor: 'cli', tenantId: client.tenantId, subject: client.clientId, ...(detail ? { detail } : {}) });
  return result;
}


/** Runs a change and records it with the fields it changed, before and after. */
async function changed(
  context: CommandContext,
  type: AuditEventType,
  clientId: string,
  change: () => Promise<ClientView | { client: ClientView; clientSecret: string }>,
) {
  const before = await context.registry.clients.get(clientId);
  const result = await change();
  const after = 'client' in result ? result.client : result;
  return audited(context, type, result, changeDetail(before, after, AUDITED_FIELDS));
}


export const clientCommands: Record<string, (context: CommandContext) => Promise<Output>> = {
  'clients create': async (context) => {
    const { values, registry } = context;
    const grant = values.grant ?? 'client_credentials';
    if (grant === 'authorization_code') return createAppClient(context);
    if (grant !== 'client_credentials') throw invalidRequest('--grant must be client_credentials or authorization_code');
    const created = await registry.clients.create(values.admin ? await adminClientInput(context) : {
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
    });
    return withClientSecret(await audited(context, 'client.created', created, snapshot(created.client, AUDITED_FIELDS)));
  },
  'clients update': async (context) => {
    const tokenQuota = quota(context.values['token-quota']);
    const introspect = context.values.introspect;
    if (tokenQuota === undefined && introspect === undefined) {
      throw invalidRequest('nothing to update: give --token-quota <count>/<unit>|none or --introspect "<uri> …"|none');
    }
    const clientId = required(context.args[0], 'client_id');
    return changed(context, 'client.updated', clientId, () => context.registry.clients.update(clientId, {
      ...(tokenQuota === undefined ? {} : { token_quota: tokenQuota }),
      ...(introspect === undefined ? {} : { introspect_audiences: introspect === 'none' ? [] : splitList(introspect) }),
    }));
  },
  'clients list': async ({ registry, values }) => registry.clients.list(values.tenant ? { tenant: values.tenant } : {}),
  'clients show': async ({ registry, args }) => clientView(await registry.clients.get(required(args[0], 'client_id'))),
  'clients disable': async (context) => {
    const clientId = required(context.args[0], 'client_id');
    return changed(context, 'client.disabled', clientId, () => context.registry.clients.setEnabled(clientId, false));
  },
  'clients enable': async (context) => {
    const clientId = required(context.args[0], 'client_id');
    return changed(context, 'client.enabled', clientId, () => context.registry.clients.setEnabled(clientId, true));
  },
  'clients rotate-secret': async (context) =>
    withClientSecret(await audited(context, 'client.secret_rotated', await context.registry.clients.rotateSecret(required(context.args[0], 'client_id')))),
  'clients revoke-tokens': async (context) => {
    const clientId = required(context.args[0], 'client_id');
    return changed(context, 'client.tokens_revoked', clientId, () => context.registry.clients.revokeTokens(clientId));
  },
};
