import type { AuditEventType } from '../audit/audit-log.js';
import { changeDetail, snapshot } from '../audit/changes.js';
import type { CreateAppClientInput, CreatedAppClient } from '../registry/app-clients.js';
import type { ClientView, CreateClientInput, UpdateClientInput } from '../registry/clients.js';
import type { Registry } from '../registry/index.js';
import type { WithinWrite } from '../registry/within-write.js';
import { scopeOf, type Actor } from './actor.js';
import { audited } from './audit.js';

/** What the audit log keeps of a client: never its secret or hash. */
export const CLIENT_FIELDS = [
  'name', 'scopes', 'roles', 'resources', 'ipAllowlist', 'corsOrigins', 'tokenQuota', 'enabled', 'tokenVersion',
  'tokenEndpointAuthMethod', 'jwksUri', 'dpopBoundAccessTokens', 'tokenExchange', 'introspectAudiences',
] as const;

/** What an app client's `client.created` keeps. */
const APP_CLIENT_FIELDS = ['name', 'scopes', 'roles', 'resources', 'corsOrigins'] as const;

/** A client with the secret shown only this once (none for a private_key_jwt or public client). */
export interface ClientWithSecret {
  client: ClientView;
  clientSecret: string | undefined;
}

/**
 * Clients in the actor's reach: a tenant admin's changes to another
 * tenant's client are `not_found`, as for an unknown id. Every change is
 * recorded with the fields it changed, before and after.
 */
export interface ClientService {
  /** `client.created`. The tenant is the caller's to choose (the admin API resolves it in the caller's reach first). */
  create(actor: Actor, input: CreateClientInput): Promise<ClientWithSecret>;
  /** `client.created` of a client that signs users in (authorization code). */
  createApp(actor: Actor, input: CreateAppClientInput): Promise<CreatedAppClient>;
  /** `client.updated`: token quota and introspection audiences. */
  update(actor: Actor, clientId: string, input: UpdateClientInput): Promise<ClientView>;
  /** `client.enabled` or `client.disabled`. */
  setEnabled(actor: Actor, clientId: string, enabled: boolean): Promise<ClientView>;
  /** `client.secret_rotated`; the new secret is in the answer only. */
  rotateSecret(actor: Actor, clientId: string): Promise<ClientWithSecret & { clientSecret: string }>;
  /** `client.tokens_revoked`: every token issued so far stops being active. */
  revokeTokens(actor: Actor, clientId: string): Promise<ClientView>;
}

export function clientService({ registry, clock }: { registry: Pick<Registry, 'clients' | 'appClients'>; clock: () => number }): ClientService {
  const { clients, appClients } = registry;

  /** Reads the client as it is before, in the actor's reach, and records the change with what it changed. */
  async function changed<T>(
    actor: Actor,
    type: AuditEventType,
    clientId: string,
    after: (written: T) => ClientView,
    change: (within: WithinWrite<T>) => Promise<T>,
  ): Promise<T> {
    const before = await clients.get(clientId, scopeOf(actor));
    return change(audited(actor, clock, (written) => {
      const client = after(written);
      return { type, tenantId: client.tenantId, subject: client.clientId, detail: changeDetail<ClientView>(before, client, CLIENT_FIELDS) };
    }));
  }
  const itself = (client: ClientView) => client;

  return {
    create: (actor, input) =>
      clients.create(input, audited(actor, clock, ({ client }) => ({
        type: 'client.created', tenantId: client.tenantId, subject: client.clientId, detail: snapshot(client, CLIENT_FIELDS),
      }))),
    createApp: (actor, input) =>
      appClients.create(input, audited(actor, clock, ({ client, app }) => ({
        type: 'client.created',
        tenantId: client.tenantId,
        subject: client.clientId,
        detail: { ...snapshot(client, APP_CLIENT_FIELDS), grant: 'authorization_code', public: app.public, redirect_uris: app.redirectUris.join(' ') },
      }))),
    update: (actor, clientId, input) =>
      changed(actor, 'client.updated', clientId, itself, (within) => clients.update(clientId, input, scopeOf(actor), within)),
    setEnabled: (actor, clientId, enabled) =>
      changed(actor, enabled ? 'client.enabled' : 'client.disabled', clientId, itself, (within) => clients.setEnabled(clientId, enabled, scopeOf(actor), within)),
    rotateSecret: (actor, clientId) =>
      changed(actor, 'client.secret_rotated', clientId, ({ client }) => client, (within) => clients.rotateSecret(clientId, scopeOf(actor), within)),
    revokeTokens: (actor, clientId) =>
      changed(actor, 'client.tokens_revoked', clientId, itself, (within) => clients.revokeTokens(clientId, scopeOf(actor), within)),
  };
}
