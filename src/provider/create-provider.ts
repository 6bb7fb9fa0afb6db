import Provider, { type Adapter, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { SIGNING_ALGORITHMS, type SigningKey } from '../../keys/key-store.js';
import type { Config } from '../config.js';
import type { TokenQuotas } from '../rate-limit/token-quotas.js';
import type { VerifiedCredentialCache } from '../registry/credential-cache.js';
import type { Registry } from '../registry/index.js';
import { RegistryClientAdapter, TOLLGATE_CLIENT_METADATA, type TollgateClientMetadata } from './registry-client-adapter.js';
import { createResourceServerInfo, defaultResource, PROVIDER_SCOPES } from './resource-policy.js';
import { extraTokenClaims } from './token-claims.js';
import { enforceTokenQuotas } from './token-quota-hook.js';
import { isClientTokenCurrent } from './token-status.js';
import { installClientSecretComparison } from './client-secret.js';
import type { UserRepository } from '../users/index.js';
import { renderErrorPage } from '../interactions/error-page.js';
import { revokeGrantOnLostConsume, withAuthorizationCode } from './authorization-code.js';
import { cookieKeys } from './cookie-keys.js';
import { serveLogoutWithoutScript } from './logout-without-script.js';
import { applyProofOfPossession, installTokenExchange } from './proof-of-possession.js';
import type { JwtIntrospector } from './jwt-introspection.js';
import { activeSigningKey, signingKeyConfiguration } from './signing-keys.js';

export interface ProviderDependencies {
  readonly config: Config;
  readonly registry: Registry;
  /** Storage for every model but `Client` (the Knex adapter). */
  readonly createModelAdapter: (model: string) => Adapter;
  readonly credentials: VerifiedCredentialCache;
  /** The keys the provider signs with (private JWKs or keys in a PKCS#11 token), the active key first. */
  readonly signingKeys: readonly SigningKey[];
  /** Verifies this server's JWT access tokens against the published keys (token exchange's subject tokens). */
  readonly introspectJwt: JwtIntrospector;
  /** Per-client and per-tenant token quotas; omitted when rate limits are off. */
  readonly tokenQuotas?: TokenQuotas | undefined;
  /** People who sign in through the authorization-code flow; omitted: machine clients only. */
  readonly users?: UserRepository | undefined;
}

const SECURE_COOKIE = { httpOnly: true, sameSite: 'lax', secure: true } as const;
const SECURE_COOKIES = { long: SECURE_COOKIE, short: SECURE_COOKIE };

interface TokenWithResourceServer {
  resourceServer?: { accessTokenTTL?: number };
}

/**
 * Builds an oidc-provider instance for one set of signing keys. The provider
 * fixes its keystore at construction, so the host builds a new one whenever
 * the key set changes (see provider-host.ts); everything else it needs is
 * read per request from the registry.
 */
export function createProvider(deps: ProviderDependencies): Provider {
  const { config, registry, credentials } = deps;
  const signing = activeSigningKey(deps.signingKeys);
  const signingKeys = signingKeyConfiguration(deps.signingKeys);
  const clientAdapter = new RegistryClientAdapter(registry.clients, registry.appClients);
  const accessTokenTtl = (_ctx: KoaContextWithOIDC, token: TokenWithResourceServer) =>
    token.resourceServer?.accessTokenTTL ?? config.accessTokenTtlSeconds;

  const configuration: Configuration = {
    adapter: (model: string) => (model === 'Client' ? clientAdapter : deps.createModelAdapter(model)),
    jwks: signingKeys.jwks,
    clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
    extraClientMetadata: { properties: [...TOLLGATE_CLIENT_METADATA] },
    clientDefaults: {
      grant_types: ['client_credentials'],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: signing.alg,
    },
    enabledJWA: {
      idTokenSigningAlgValues: [...SIGNING_ALGORITHMS],
      userinfoSigningAlgValues: [...SIGNING_ALGORITHMS],
      introspectionSigningAlgValues: [...SIGNING_ALGORITHMS],
      authorizationSigningAlgValues: [...SIGNING_ALGORITHMS],
      requestObjectSigningAlgValues: [...SIGNING_ALGORITHMS],
      clientAuthSigningAlgValues: [...SIGNING_ALGORITHMS],
    },
    scopes: [...PROVIDER_SCOPES],
    responseTypes: ['code', 'none'],
    features: {
      devInteractions: { enabled: false },
      externalSigningSupport: signingKeys.externalSigningSupport,
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        // A token is active only while its client is enabled and has not
        // revoked its tokens since; the JWT path applies the same rule.
        allowedPolicy: async (_ctx, _client, token) =>
          isClientTokenCurrent(registry.clients, token.clientId, (token as { extra?: Record<string, unknown> }).extra?.['token_version']),
      },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource,
        useGrantedResource: async () => true,
        getResourceServerInfo: createResourceServerInfo(registry.resources, {
          defaultAccessTokenTtl: config.accessTokenTtlSeconds,
          signing: () => signing,
        }),
      },
    },
    extraTokenClaims: extraTokenClaims as Configuration['extraTokenClaims'],
    // Browsers may call the token, introspection and revocation endpoints
    // only from origins registered on the client; every other origin gets
    // invalid_request and no Access-Control-Allow-Origin.
    clientBasedCORS: (_ctx, origin, client) =>
      (client as unknown as Partial<TollgateClientMetadata>).cors_origins?.includes(origin) ?? false,
    ttl: {
      AccessToken: accessTokenTtl as never,
      ClientCredentials: accessTokenTtl as never,
      AuthorizationCode: 60,
      IdToken: 3600,
      RefreshToken: 14 * 24 * 3600,
      Interaction: 3600,
      Session: 14 * 24 * 3600,
      Grant: 14 * 24 * 3600,
      DeviceCode: 600,
      BackchannelAuthenticationRequest: 600,
    },
    // Secure whenever the issuer is https (the host reports every request as
    // https then, see http/forwarded.ts, so setting these never throws).
    cookies: { keys: cookieKeys(config), ...(config.issuer.startsWith('https://') ? SECURE_COOKIES : {}) },
    // A person in a browser gets a page in the sign-in style (where the
    // sign-in pages and their stylesheet are served); every other caller,
    // and every deployment without sign-in pages, gets the JSON error.
    renderError: async (ctx, out) => {
      if (deps.users && ctx.accepts('json', 'html') === 'html') {
        renderErrorPage(ctx, out);
        return;
      }
      ctx.type = 'json';
      ctx.body = out;
    },
  };

  applyProofOfPossession(configuration, config);
  const provider = new Provider(config.issuer, deps.users ? withAuthorizationCode(configuration, { users: deps.users, refreshTokens: config.refreshTokens }) : configuration);
  revokeGrantOnLostConsume(provider);
  if (deps.users) serveLogoutWithoutScript(provider);
  installTokenExchange(provider, { ...deps, signing });

  // Advertised URLs derive from ISSUER only. oidc-provider builds them from the
  // request's Host header, so `Host: evil.example` would otherwise publish
  // `http://evil.example/jwks` in discovery.
  provider.OIDCContext.prototype.urlFor = function urlFor(name: string, opt?: Parameters<Provider['urlFor']>[1]) {
    return provider.urlFor(name, opt);
  };

  installClientSecretComparison(provider, { credentials, trustProxy: config.rateLimits.trustProxy });

  if (deps.tokenQuotas) enforceTokenQuotas(provider, deps.tokenQuotas);

  return provider;
}
