import type Provider from 'oidc-provider';
import instance from 'oidc-provider/lib/helpers/weak_cache.js';
import type { GateKind } from '../rate-limit/token-endpoint-gate.js';

/**
 * oidc-provider's names of the routes that authenticate a client (each runs
 * its `shared/client_auth.js` middlewares): the token endpoint,
 * introspection, revocation, pushed authorization requests, and device
 * authorization and CIBA once those features are enabled.
 */
const CLIENT_AUTHENTICATING_ROUTES = [
  'token',
  'introspection',
  'revocation',
  'pushed_authorization_request',
  'device_authorization',
  'backchannel_authentication',
] as const;

/** An endpoint that authenticates a client, by oidc-provider's route name. */
export type ClientEndpoint = (typeof CLIENT_AUTHENTICATING_ROUTES)[number];

const clientEndpoints: ReadonlySet<string> = new Set(CLIENT_AUTHENTICATING_ROUTES);

/** Whether oidc-provider's route `name` authenticates a client. */
export function isClientEndpoint(name: string | undefined): name is ClientEndpoint {
  return name !== undefined && clientEndpoints.has(name);
}

/**
 * Routes anyone may call without authenticating that store a row per call
 * (an authorization request keeps an Interaction for its sign-in): counted
 * per address so they cannot fill the database.
 */
const ADDRESS_LIMITED_ROUTES: ReadonlySet<string> = new Set(['authorization']);

/** Which of oidc-provider's routes a method and path reach (its route name), or undefined. */
export type RouteOf = (method: string, path: string) => string | undefined;

interface OidcProviderRouter {
  match(method: string, path: string): { route: { name: string } } | undefined;
}

/**
 * The route oidc-provider itself would dispatch a request to, asked of its
 * own router: the same case folding, the same optional trailing slash, no
 * percent-decoding, so the gate and the provider can never disagree about
 * a spelling. Throws at start-up if a release moved the router.
 */
export function routeOfProvider(provider: Provider): RouteOf {
  const router = instance(provider)?.router;
  if (!isRouter(router)) {
    throw new Error('oidc-provider: its router (weak_cache(provider).router.match) is missing; this Tollgate was written for oidc-provider 9.13');
  }
  return (method, path) => router.match(method, path)?.route.name;
}

function isRouter(value: unknown): value is OidcProviderRouter {
  return typeof value === 'object' && value !== null && typeof (value as Partial<OidcProviderRouter>).match === 'function';
}

/** How the rate-limit gate treats a request to oidc-provider's route `name`. */
export function gateKindOfRoute(name: string | undefined): GateKind | undefined {
  if (isClientEndpoint(name)) return 'client_authentication';
  return name !== undefined && ADDRESS_LIMITED_ROUTES.has(name) ? 'address_only' : undefined;
}
