import { errors, type Configuration, type KoaContextWithOIDC, type Provider } from 'oidc-provider';
import type { Registry } from '../../registry/index.js';
import type { JwtIntrospector } from '../jwt-introspection.js';
import { dpopGrantSteps } from '../oidc-provider-internals.js';
import type { SigningChoice } from '../resource-policy.js';
import { ACCESS_TOKEN_TYPE, JWT_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT } from './constants.js';
import { decideExchangeTarget } from './policy.js';
import { resolveSubjectToken } from './subject-token.js';

/** RFC 8693 §2.1 request parameters (actor tokens are refused: the actor is the authenticated client). */
const PARAMETERS = ['subject_token', 'subject_token_type', 'actor_token', 'actor_token_type', 'requested_token_type', 'audience', 'resource', 'scope'];

/** Claims an exchanged token carries instead of the client_credentials ones; read by `exchangeJwtCustomizer`. */
const exchangedClaims = new WeakMap<object, { sub: string; act: Record<string, unknown>; roles: unknown }>();

export interface TokenExchangeDependencies {
  readonly registry: Registry;
  readonly introspectJwt: JwtIntrospector;
  readonly signing: () => SigningChoice;
  readonly defaultAccessTokenTtl: number;
}

/**
 * RFC 8693 token exchange: a client holding a token for audience A gets a
 * narrower JWT access token for audience B, as its client's policy allows.
 * The new token keeps the subject (`sub`, tenant, roles) and records the
 * exchanging client as the actor (`act`, nesting any actor the subject
 * token already had). It lives no longer than the subject token. A DPoP
 * proof binds it like any other token (a client registered with
 * `dpop_bound_access_tokens` must send one: see dpop.ts). Registered on a
 * built provider, it is listed in `grant_types_supported` from then on.
 */
export function registerTokenExchange(provider: Provider, deps: TokenExchangeDependencies): void {
  provider.registerGrantType(TOKEN_EXCHANGE_GRANT, (ctx) => exchange(provider, deps, ctx), PARAMETERS);
}

async function exchange(provider: Provider, deps: TokenExchangeDependencies, ctx: KoaContextWithOIDC): Promise<void> {
  const params = ctx.oidc.params as Record<string, unknown>;
  const client = ctx.oidc.client!;

  if (params['actor_token'] !== undefined || params['actor_token_type'] !== undefined) {
    throw new errors.InvalidRequest('actor_token is not supported: the actor is the authenticated client');
  }
  const requestedType = params['requested_token_type'];
  if (requestedType !== undefined && requestedType !== ACCESS_TOKEN_TYPE && requestedType !== JWT_TOKEN_TYPE) {
    throw new errors.InvalidRequest(`requested_token_type must be ${ACCESS_TOKEN_TYPE}`);
  }

  const dPoP = await dpopGrantSteps.validate(provider, ctx);
  const subject = await resolveSubjectToken(provider, deps.registry.clients, deps.introspectJwt, params);
  if (subject.tenantId !== client.tenant_id) throw new errors.InvalidRequest('subject_token belongs to another tenant');
  const target = await decideExchangeTarget(client.token_exchange, deps.registry.resources, params);

  const remaining = subject.exp - Math.floor(Date.now() / 1000);
  if (remaining <= 0) throw new errors.InvalidRequest('subject_token is invalid, expired or revoked');
  const { kid, alg } = deps.signing();
  const token = new provider.ClientCredentials({ client, scope: target.scope || undefined });
  token.resourceServer = new provider.ResourceServer(target.resource.audience, {
    audience: target.resource.audience,
    scope: target.scope,
    accessTokenTTL: Math.min(target.resource.accessTokenTtl ?? deps.defaultAccessTokenTtl, remaining),
    // The exchanged token is always a JWT: the actor chain lives in its claims.
    accessTokenFormat: 'jwt',
    jwt: { sign: { alg, kid } },
  });
  exchangedClaims.set(token, {
    sub: subject.sub,
    act: { sub: client.clientId, ...(subject.act ? { act: subject.act } : {}) },
    roles: subject.roles,
  });

  await dpopGrantSteps.bind(provider, ctx, dPoP, token);
  ctx.oidc.entity('ClientCredentials', token);
  const accessToken = await token.save();

  ctx.body = {
    access_token: accessToken,
    issued_token_type: ACCESS_TOKEN_TYPE,
    token_type: token.tokenType,
    expires_in: token.expiration,
    ...(token.scope ? { scope: token.scope } : {}),
  };
}

/** What token exchange adds to the provider configuration: the claims of an exchanged JWT (below). */
export function tokenExchangeConfiguration(): Configuration {
  return { formats: { customizers: { jwt: exchangeJwtCustomizer } } };
}

/**
 * The JWT customizer (`formats.customizers.jwt`): an exchanged token names
 * the subject, not the exchanging client, as `sub`, carries the subject's
 * roles, and records the actor chain. Other tokens pass unchanged.
 */
export function exchangeJwtCustomizer(_ctx: KoaContextWithOIDC, token: object, parts: { payload: Record<string, unknown> }): void {
  const claims = exchangedClaims.get(token);
  if (!claims) return;
  parts.payload['sub'] = claims.sub;
  parts.payload['act'] = claims.act;
  if (claims.roles !== undefined) parts.payload['roles'] = claims.roles;
}
