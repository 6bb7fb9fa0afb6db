import Provider, {
  type AccessToken,
  type Adapter,
  type ClientCredentials,
  type Configuration,
  type KoaContextWithOIDC,
} from 'oidc-provider';
import { SIGNING_ALGORITHMS, type SigningKey } from '../../keys/key-store.js';
import type { Config } from '../config.js';
import type { TokenQuotas } from '../rate-limit/token-quotas.js';
import type { VerifiedCredentialCache } from '../registry/credential-cache.js';
import type { Registry } from '../registry/index.js';
import { RegistryClientAdapter, TOLLGATE_CLIENT_METADATA } from './registry-client-adapter.js';
import { createResourceServerInfo, defaultResource, PROVIDER_SCOPES, type SigningChoice } from './resource-policy.js';
import { tokenClaims } from './token-claims.js';
import { enforceTokenQuotas } from './token-quota-hook.js';
import { introspectionAllowedPolicy } from './token-status.js';
import { installClientSecretComparison } from './client-secret.js';
import type { UserRepository } from '../users/index.js';
import { renderErrorPage } from '../interactions/error-page.js';
import { authorizationCodeConfiguration, revokeGrantOnLostConsume } from './authorization-code.js';
import { cookieKeys } from './cookie-keys.js';
import { serveLogoutWithoutScript } from './logout-without-script.js';
import { dpopConfiguration, requireDpopProofOfBoundClients } from './dpop.js';
import { privateKeyJwtConfiguration } from './private-key-jwt.js';
import { registerTokenExchange, tokenExchangeConfiguration } from './token-exchange/grant.js';
import type { JwtIntrospector } from './jwt-introspection.js';
import { mergeConfiguration } from './merge-configuration.js';
import { activeSigningKey, signingKeyConfiguration } from './signing-keys.js';
import { advertiseUrlsFromIssuer, aroundGrantHandlers, checkOidcProviderInternals } from './oidc-provider-internals.js';


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

/**
 * Builds an oidc-provider instance for one set of signing keys. The provider
 * fixes its keystore at construction, so the host builds a new one whenever
 * the key set changes (see provider-host.ts); everything else it needs is
 * read per request from the registry. Each feature returns its part of the
 * configuration, merged once here; what no configuration setting offers is
 * added to the built provider through oidc-provider-internals.ts.
 */
export function createProvider(deps: ProviderDependencies): Provider {
  const { config, registry, credentials } = deps;
  const signing: SigningChoice = activeSigningKey(deps.signingKeys);
  const signingKeys = signingKeyConfiguration(deps.signingKeys);

  const provider = new Provider(
    config.issuer,
    mergeConfiguration([
      machineClientConfiguration(deps, signing),
      { jwks: signingKeys.jwks, features: { externalSigningSupport: signingKeys.externalSigningSupport } },
      privateKeyJwtConfiguration(config),
      dpopConfiguration(config),
      tokenExchangeConfiguration(),
      ...(deps.users ? [authorizationCodeConfiguration({ users: deps.users, refreshTokens: config.refreshTokens })] : []),
    ]),
  );
  checkOidcProviderInternals(provider);

  // Subject tokens are verified with the provider's own verifying keys, under the same rules as introspection.
  registerTokenExchange(provider, {
    registry,
    introspectJwt: deps.introspectJwt,
    signing: () => signing,
    defaultAccessTokenTtl: config.accessTokenTtlSeconds,
  });
  // After every grant is registered, so it runs before each of them.
  aroundGrantHandlers(provider, requireDpopProofOfBoundClients);
  advertiseUrlsFromIssuer(provider);
  installClientSecretComparison(provider, { credentials, trustProxy: config.rateLimits.trustProxy });
  revokeGrantOnLostConsume(provider);
  // Installed after revokeGrantOnLostConsume, so a refused quota spends nothing and a lost race gives its charge back.
  if (deps.tokenQuotas) enforceTokenQuotas(provider, deps.tokenQuotas);
  if (deps.users) serveLogoutWithoutScript(provider);
  return provider;
}

/** The machine-client server: client_credentials with a secret, JWT access tokens per resource server, introspection and revocation. */
function machineClientConfiguration(deps: ProviderDependencies, signing: SigningChoice): Configuration {
  const { config, registry } = deps;
  const clientAdapter = new RegistryClientAdapter(registry.clients, registry.appClients);
  const accessTokenTtl = (_ctx: KoaContextWithOIDC, token: AccessToken | ClientCredentials) =>
    token.resourceServer?.accessTokenTTL ?? config.accessTokenTtlSeconds;

  return {
    adapter: (model: string) => (model === 'Client' ? clientAdapter : deps.createModelAdapter(model)),
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
      clientCredentials: { enabled: true },
      introspection: { enabled: true, allowedPolicy: introspectionAllowedPolicy(registry.clients) },
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
    extraTokenClaims: tokenClaims(deps.users),
    // Browsers may call the token, introspection and revocation endpoints
    // only from origins registered on the client; every other origin gets
    // invalid_request and no Access-Control-Allow-Origin.
    clientBasedCORS: (_ctx, origin, client) => client.cors_origins?.includes(origin) ?? false,
    ttl: {
      AccessToken: accessTokenTtl,
      ClientCredentials: accessTokenTtl,
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
}
