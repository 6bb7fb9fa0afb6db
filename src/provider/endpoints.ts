import type Provider from 'oidc-provider';
import type { GateKind } from '../rate-limit/token-endpoint-gate.js';
import { providerRouter } from './oidc-provider-internals.js';

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

/** One of oidc-provider's routes: its name, and the path it serves (a pattern such as `/auth/:uid` for some). */
export interface ProviderRoute {
  readonly name: string;
  readonly path: string;
}

/** Which of oidc-provider's routes a method and path reach, or undefined. */
export type RouteOf = (method: string, path: string) => ProviderRoute | undefined;

/**
 * The route oidc-provider itself would dispatch a request to, asked of its
 * own router: the same case folding, the same optional trailing slash, no
 * percent-decoding, so the gate and the provider can never disagree about
 * a spelling.
 */
export function routeOfProvider(provider: Provider): RouteOf {
  const router = providerRouter(provider);
  return (method, path) => router.match(method, path)?.route;
}

/** The provider's endpoints that get a metrics label of their own; requests to any other route are `other`. */
const LABELLED_ROUTES: ReadonlySet<string> = new Set(['token', 'introspection', 'revocation', 'jwks', 'discovery']);

/** oidc-provider names the CORS preflight of route `x` `cors.x`. */
const CORS_PREFLIGHT = 'cors.';

/**
 * The metrics label of a request to oidc-provider's `route`: the path the
 * route is served at, whatever spelling reached it (`/TOKEN/` is `/token`),
 * or undefined for a route without a label of its own.
 */
export function metricsLabelOfRoute(route: ProviderRoute | undefined): string | undefined {
  if (!route) return undefined;
  const name = route.name.startsWith(CORS_PREFLIGHT) ? route.name.slice(CORS_PREFLIGHT.length) : route.name;
  return LABELLED_ROUTES.has(name) ? route.path : undefined;
}

/** How the rate-limit gate treats a request to oidc-provider's route `name`. */
export function gateKindOfRoute(name: string | undefined): GateKind | undefined {
  if (isClientEndpoint(name)) return 'client_authentication';
  return name !== undefined && ADDRESS_LIMITED_ROUTES.has(name) ? 'address_only' : undefined;
}
