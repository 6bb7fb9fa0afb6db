import type { ClientAuthMethod, ClientJwks, TokenExchangePolicy } from '../client-proof.js';

/** A machine client as the registry stores it (the secret only as a hash). */
export interface Client {
  clientId: string;
  tenantId: string;
  tenantSlug: string;
  name: string;
  secretHash: string;
  /** Epoch ms, or null for a secret that does not expire. */
  secretExpiresAt: number | null;
  roles: string[];
  scopes: string[];
  resources: string[];
  ipAllowlist: string[] | null;
  /** Browser origins allowed to call the client endpoints (CORS); empty for machine clients. */
  corsOrigins: string[];
  enabled: boolean;
  /** Bumped by `revoke-tokens`: tokens carrying an older version are no longer active. */
  tokenVersion: number;
  /** Tokens this client may get, as `<count>/<unit>` (`1000/h`); null: no quota of its own. */
  tokenQuota: string | null;
  /**
   * Its tenant's quota, read in the same query as the client, so the token
   * path learns both from one cached lookup.
   */
  tenantTokenQuota: string | null;
  /** `client_secret_basic` (also accepts client_secret_post) or `private_key_jwt` (RFC 7523). */
  tokenEndpointAuthMethod: ClientAuthMethod;
  /** The private_key_jwt client's public keys, inline; or null. */
  jwks: ClientJwks | null;
  /** Where the private_key_jwt client publishes its public keys; or null. */
  jwksUri: string | null;
  /** Tokens must be DPoP-bound (RFC 9449): a token request without a proof is refused. */
  dpopBoundAccessTokens: boolean;
  /** What the client may get by token exchange (RFC 8693); null: no token exchange. */
  tokenExchange: TokenExchangePolicy | null;
  /**
   * Audiences whose tokens and API keys this client may introspect (RFC 7662):
   * a resource service's own client lists the resource servers it serves.
   */
  introspectAudiences: string[];
  createdAt: number;
  updatedAt: number;
}

/** What reads show: everything but the hash. */
export type ClientView = Omit<Client, 'secretHash'>;

export interface CreateClientInput {
  name: string;
  tenant: string;
  resources: string[];
  scopes: string[];
  roles?: string[];
  ip_allowlist?: string[];
  cors_origins?: string[];
  secret_expires_in?: number;
  token_quota?: string | null;
  token_endpoint_auth_method?: ClientAuthMethod;
  jwks?: ClientJwks;
  jwks_uri?: string;
  dpop_bound_access_tokens?: boolean;
  token_exchange?: TokenExchangePolicy;
  introspect_audiences?: string[];
}

export interface UpdateClientInput {
  /** A new quota, or null to remove it. */
  token_quota?: string | null;
  /** The complete new list of audiences the client may introspect for (empty: none). */
  introspect_audiences?: string[];
}

