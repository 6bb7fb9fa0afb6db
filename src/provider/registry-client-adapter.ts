import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { AppClient, AppClientRepository } from '../registry/app-clients.js';
import type { Client, ClientRepository } from '../registry/clients.js';
import { appClientMetadata } from './app-client-metadata.js';
import type { TokenExchangePolicy } from '../registry/client-proof.js';
import { withProofOfPossession } from './proof-of-possession-metadata.js';

/** Client metadata Tollgate adds to oidc-provider's (see `extraClientMetadata`). */
export const TOLLGATE_CLIENT_METADATA = [
  'tenant_id',
  'tenant',
  'roles',
  'allowed_scopes',
  'allowed_resources',
  'token_version',
  'ip_allowlist',
  'cors_origins',
  'token_quota',
  'tenant_token_quota',
  'token_exchange',
  'introspect_audiences',
] as const;

export interface TollgateClientMetadata {
  client_id: string;
  tenant_id: string;
  tenant: string;
  roles: string[];
  allowed_scopes: string[];
  allowed_resources: string[];
  token_version: number;
  ip_allowlist: string[] | null;
  cors_origins: string[];
  /** `<count>/<unit>` or null (see token-quota-hook.ts). */
  token_quota: string | null;
  tenant_token_quota: string | null;
  /** RFC 8693 policy (see token-exchange/policy.ts); null: the client may not exchange tokens. */
  token_exchange: TokenExchangePolicy | null;
  /** Audiences whose tokens and API keys this client may introspect (see introspection-policy.ts). */
  introspect_audiences: string[];
}

declare module 'oidc-provider' {
  /**
   * Every client oidc-provider loads comes from `RegistryClientAdapter`
   * (there are no static or dynamically registered ones), so it carries
   * Tollgate's metadata, under its own snake_case names
   * (`extraClientMetadata`); standard metadata is camelCased (`clientId`).
   */
  interface Client extends Readonly<Omit<TollgateClientMetadata, 'client_id'>> {}
}

/**
 * Registry client → oidc-provider client metadata. The argon2id hash stands in
 * the `client_secret` slot only so the provider accepts the client_secret_*
 * methods; `compareClientSecret` is replaced to verify against it (see
 * client-secret.ts), and no HS* algorithm is enabled that could use it
 * as a key.
 */
export function toProviderMetadata(client: Client, app?: AppClient): AdapterPayload {
  const metadata: TollgateClientMetadata & Record<string, unknown> = {
    client_id: client.clientId,
    client_name: client.name,
    client_secret: client.secretHash,
    client_secret_expires_at: client.secretExpiresAt ? Math.floor(client.secretExpiresAt / 1000) : 0,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
    tenant_id: client.tenantId,
    tenant: client.tenantSlug,
    roles: client.roles,
    allowed_scopes: client.scopes,
    allowed_resources: client.resources,
    token_version: client.tokenVersion,
    ip_allowlist: client.ipAllowlist,
    cors_origins: client.corsOrigins,
    token_quota: client.tokenQuota,
    tenant_token_quota: client.tenantTokenQuota,
    token_exchange: client.tokenExchange,
    introspect_audiences: client.introspectAudiences,
    ...(app ? appClientMetadata(app) : {}),
  };
  if (app?.public) delete metadata['client_secret'];
  return withProofOfPossession(metadata, client);
}

/**
 * The provider's `Client` model reads the registry, so a client created,
 * disabled or rotated by the CLI in another process is seen on the next
 * request. A disabled client does not exist as far as the provider is
 * concerned: it fails authentication exactly like an unknown one.
 */
export class RegistryClientAdapter implements Adapter {
  constructor(
    private readonly clients: ClientRepository,
    private readonly appClients?: AppClientRepository,
  ) {}

  async find(id: string): Promise<AdapterPayload | undefined> {
    const client = await this.clients.find(id);
    if (!client?.enabled) return undefined;
    return toProviderMetadata(client, await this.appClients?.find(id));
  }

  async upsert(): Promise<void> {
    throw new Error('clients are managed through the Tollgate registry');
  }

  async findByUid(): Promise<undefined> {
    return undefined;
  }

  async findByUserCode(): Promise<undefined> {
    return undefined;
  }

  async consume(): Promise<void> {}

  async destroy(): Promise<void> {
    throw new Error('clients are managed through the Tollgate registry');
  }

  async revokeByGrantId(): Promise<void> {}
}
