import type { Configuration, Provider } from 'oidc-provider';
import type { Config } from '../config.js';
import type { Registry } from '../registry/index.js';
import { dpopFeature, DPOP_SIGNING_ALGORITHMS } from './dpop.js';
import type { JwtIntrospector } from './jwt-introspection.js';
import { privateKeyJwtConfiguration } from './private-key-jwt.js';
import type { SigningChoice } from './resource-policy.js';
import { exchangeJwtCustomizer, registerTokenExchange } from './token-exchange/grant.js';

/**
 * Stronger machine credentials, added to the provider configuration in one
 * place: private_key_jwt client authentication (RFC 7523), DPoP-bound tokens
 * (RFC 9449) and the JWT claims of token exchange (RFC 8693). Discovery
 * then advertises `private_key_jwt` and `dpop_signing_alg_values_supported`.
 */
export function applyProofOfPossession(configuration: Configuration, config: Config): void {
  configuration.clientAuthMethods = [...(configuration.clientAuthMethods ?? []), 'private_key_jwt'];
  Object.assign(configuration, privateKeyJwtConfiguration(config));
  configuration.features = { ...configuration.features, dPoP: dpopFeature(config) };
  configuration.enabledJWA = { ...configuration.enabledJWA, dPoPSigningAlgValues: [...DPOP_SIGNING_ALGORITHMS] };
  configuration.formats = {
    ...configuration.formats,
    customizers: { ...configuration.formats?.customizers, jwt: exchangeJwtCustomizer },
  };
}

/**
 * The token-exchange grant, registered on a built provider (it is listed in
 * `grant_types_supported` from then on). Subject tokens are verified with
 * the provider's own verifying keys, under the same rules as introspection.
 */
export function installTokenExchange(
  provider: Provider,
  deps: { config: Config; registry: Registry; introspectJwt: JwtIntrospector; signing: SigningChoice },
): void {
  registerTokenExchange(provider, {
    registry: deps.registry,
    introspectJwt: deps.introspectJwt,
    signing: () => deps.signing,
    defaultAccessTokenTtl: deps.config.accessTokenTtlSeconds,
  });
}
