import type { SeededRandom } from '../helpers/seeded-random.js';

/*
 * What the fuzzer says: every endpoint, the parameters they read, awkward
 * values, and one plausible request per endpoint (requests.ts spoils it).
 */

/** What the fuzzer knows of the seeded server: real ids, secrets and tokens to mix with junk. */
export interface FuzzTargets {
  readonly issuer: string;
  readonly tenantSlug: string;
  readonly tenantId: string;
  readonly clients: readonly { readonly clientId: string; readonly clientSecret?: string }[];
  readonly userId: string;
  readonly email: string;
  readonly password: string;
  readonly apiKeyId: string;
  readonly kid: string;
  readonly redirectUri: string;
  readonly audiences: readonly string[];
  readonly scopes: readonly string[];
  /** Real tokens: access (user and machine), refresh, ID token, API key, admin tokens. */
  readonly tokens: readonly string[];
  /** Bearer tokens for /admin/v1: a global admin's and a tenant admin's. */
  readonly adminTokens: readonly string[];
  /** A live sign-in: its interaction id and the cookies that go with it. */
  readonly interaction: { readonly uid: string; readonly cookie: string; readonly csrf: string };
  /** A PKCE S256 code challenge for authorization requests. */
  readonly codeChallenge: string;
  /** X-Forwarded-For addresses the fuzzer sends from (never the probe's). */
  readonly addresses: readonly string[];
}

export const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
export const ODD_METHODS = ['TRACE', 'PROPFIND', 'FOO', 'get', 'M-SEARCH', 'QUERY', 'POST ', 'G\u00e9T'] as const;

/** Every endpoint Tollgate serves, with the method it expects; `{…}` are filled per request. */
export const ENDPOINTS: readonly (readonly [string, string])[] = [
  ['/.well-known/openid-configuration', 'GET'],
  ['/.well-known/oauth-authorization-server', 'GET'],
  ['/.well-known/{junk}', 'GET'],
  ['/jwks', 'GET'],
  ['/token', 'POST'],
  ['/token', 'POST'],
  ['/token', 'POST'],
  ['/token/introspection', 'POST'],
  ['/token/introspection', 'POST'],
  ['/token/revocation', 'POST'],
  ['/request', 'POST'],
  ['/request', 'POST'],
  ['/auth', 'GET'],
  ['/auth', 'GET'],
  ['/auth', 'POST'],
  ['/auth/{junk}', 'GET'],
  ['/session/end', 'GET'],
  ['/session/end', 'POST'],
  ['/session/end/confirm', 'POST'],
  ['/session/end/success', 'GET'],
  ['/me', 'GET'],
  ['/me', 'POST'],
  ['/interaction/{uid}', 'GET'],
  ['/interaction/{uid}/login', 'POST'],
  ['/interaction/{uid}/confirm', 'POST'],
  ['/interaction/{uid}/abort', 'POST'],
  ['/interaction-assets/tollgate.css', 'GET'],
  ['/healthz', 'GET'],
  ['/readyz', 'GET'],
  ['/metrics', 'GET'],
  ['/admin/v1', 'GET'],
  ['/admin/v1/docs', 'GET'],
  ['/admin/v1/openapi.json', 'GET'],
  ['/admin/v1/tenants', 'GET'],
  ['/admin/v1/tenants', 'POST'],
  ['/admin/v1/tenants/{tenant}', 'GET'],
  ['/admin/v1/tenants/{tenant}', 'PATCH'],
  ['/admin/v1/resource-servers', 'GET'],
  ['/admin/v1/resource-servers', 'POST'],
  ['/admin/v1/clients', 'GET'],
  ['/admin/v1/clients', 'POST'],
  ['/admin/v1/clients/{client}', 'GET'],
  ['/admin/v1/clients/{client}', 'PATCH'],
  ['/admin/v1/clients/{client}/rotate-secret', 'POST'],
  ['/admin/v1/clients/{client}/revoke-tokens', 'POST'],
  ['/admin/v1/app-clients', 'POST'],
  ['/admin/v1/users', 'GET'],
  ['/admin/v1/users', 'POST'],
  ['/admin/v1/users/{user}', 'GET'],
  ['/admin/v1/users/{user}/disable', 'POST'],
  ['/admin/v1/users/{user}/enable', 'POST'],
  ['/admin/v1/users/{user}/password', 'PUT'],
  ['/admin/v1/api-keys', 'GET'],
  ['/admin/v1/api-keys', 'POST'],
  ['/admin/v1/api-keys/{apiKey}', 'GET'],
  ['/admin/v1/api-keys/{apiKey}/rotate', 'POST'],
  ['/admin/v1/signing-keys', 'GET'],
  ['/admin/v1/signing-keys/{kid}/revoke', 'POST'],
  ['/admin/v1/audit-events', 'GET'],
  ['/', 'GET'],
  ['/{junk}', 'GET'],
];

/** Parameter names the OAuth, OIDC, sign-in and admin endpoints read. */
export const PARAMETERS = [
  'grant_type', 'client_id', 'client_secret', 'scope', 'resource', 'audience', 'token', 'token_type_hint',
  'code', 'code_verifier', 'code_challenge', 'code_challenge_method', 'redirect_uri', 'refresh_token',
  'subject_token', 'subject_token_type', 'actor_token', 'requested_token_type', 'client_assertion',
  'client_assertion_type', 'response_type', 'response_mode', 'state', 'nonce', 'prompt', 'request',
  'request_uri', 'id_token_hint', 'post_logout_redirect_uri', 'logout', 'xsrf', 'csrf', 'email', 'password',
  'name', 'slug', 'tenant', 'audience', 'scopes', 'resources', 'roles', 'redirect_uris', 'public', 'expires_at',
  'ip_allowlist', 'cors_origins', 'dpop_jkt', 'max_age', 'claims', 'ui_locales', 'login_hint', 'acr_values',
  'limit', 'cursor', 'type', '__proto__', 'constructor',
] as const;

export const GRANT_TYPES = [
  'client_credentials', 'authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:token-exchange',
  'urn:ietf:params:oauth:grant-type:jwt-bearer', 'password', 'implicit', 'CLIENT_CREDENTIALS', '',
];

export const CONTENT_TYPES = [
  'application/x-www-form-urlencoded', 'application/x-www-form-urlencoded; charset=UTF-8', 'application/json',
  'application/json; charset=utf-8', 'application/json; charset=utf-16', 'text/plain', 'multipart/form-data; boundary=x',
  'application/x-www-form-urlencoded; charset=latin1', 'application/jwt', 'application/*', '*/*', '', ';;;',
  'application/json; charset=', 'APPLICATION/JSON', 'application/x-www-form-urlencoded\u0000',
];

/** Hand-picked awkward strings (JavaScript strings; UTF-8 encoded on the wire unless raw bytes are asked for). */
export const AWKWARD = [
  '', ' ', '\u0000', 'a\u0000b', '%00', '\ud800', 'x\udfffy', '\u202e\u200b', '\uffff', '\ud83d\ude00', '..', '../..',
  '%', '%zz', '%%', '+', '&', '=', '"', "'", '<script>', '${jndi:x}', '\\', '\r\n', '\t', 'null', 'true', '-1', '1e309',
  '[]', '{}', 'NaN', '0x10', 'ｔｏｋｅｎ', '\u0130', 'İ', 'ß', '*', '*.evil.test', 'https://*.evil.test/cb', 'javascript:alert(1)',
  'http://127.0.0.1:1/cb', 'http://[::1]:80/', 'data:text/html,x', 'tg_live_', 'eyJ', 'Bearer', 'openid', 'offline_access',
];

type Plausible = (t: FuzzTargets, r: SeededRandom) => Record<string, unknown>;

const AUTHORIZATION_REQUEST: Plausible = (t, r) => ({
  client_id: r.pick(t.clients).clientId,
  response_type: 'code',
  redirect_uri: t.redirectUri,
  scope: 'openid email offline_access',
  code_challenge: t.codeChallenge,
  code_challenge_method: 'S256',
  state: r.string(8),
  nonce: r.string(8),
  ...(r.chance(0.3) ? { prompt: r.pick(['consent', 'login', 'none']) } : {}),
  ...(r.chance(0.3) ? { resource: r.pick(t.audiences) } : {}),
});

/**
 * Requests each endpoint would accept, before one value is spoiled: random
 * parameters alone rarely get past the first check, so these reach the
 * handlers behind it (grants, admin writes, the sign-in form).
 */
export const PLAUSIBLE: Readonly<Record<string, Plausible>> = {
  '/token': (t, r) =>
    r.pick<() => Record<string, unknown>>([
      () => ({ grant_type: 'client_credentials', ...(r.chance(0.5) ? { resource: r.pick(t.audiences) } : {}), ...(r.chance(0.5) ? { scope: r.pick(t.scopes) } : {}) }),
      () => ({ grant_type: 'refresh_token', refresh_token: r.pick(t.tokens) }),
      () => ({ grant_type: 'authorization_code', code: r.string(43), redirect_uri: t.redirectUri, code_verifier: r.string(43) }),
      () => ({ grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token: r.pick(t.tokens), subject_token_type: 'urn:ietf:params:oauth:token-type:access_token', audience: r.pick(t.audiences) }),
      () => ({ grant_type: 'client_credentials', client_id: r.pick(t.clients).clientId, client_secret: r.pick(t.clients).clientSecret ?? '' }),
    ])(),
  '/token/introspection': (t, r) => ({ token: r.pick(t.tokens), ...(r.chance(0.5) ? { token_type_hint: r.pick(['access_token', 'refresh_token']) } : {}) }),
  '/token/revocation': (t, r) => ({ token: r.pick(t.tokens) }),
  '/request': AUTHORIZATION_REQUEST,
  '/auth': AUTHORIZATION_REQUEST,
  '/session/end': (t, r) => ({ id_token_hint: r.pick(t.tokens), post_logout_redirect_uri: t.redirectUri, client_id: r.pick(t.clients).clientId, state: r.string(6) }),
  '/interaction/{uid}/login': (t, r) => ({ csrf: t.interaction.csrf, email: t.email, password: r.chance(0.5) ? t.password : r.string(12) }),
  '/interaction/{uid}/confirm': (t) => ({ csrf: t.interaction.csrf }),
  '/interaction/{uid}/abort': (t) => ({ csrf: t.interaction.csrf }),
  '/admin/v1/tenants': (_t, r) => ({ slug: `f${r.string(8)}`, name: r.string(12) }),
  '/admin/v1/tenants/{tenant}': (_t, r) => ({ name: r.string(12) }),
  '/admin/v1/resource-servers': (_t, r) => ({ audience: `https://${r.string(8)}.fuzz.test`, scopes: ['read:x', 'write:x'] }),
  '/admin/v1/clients': (t, r) => ({ name: r.string(10), tenant: t.tenantSlug, resources: [t.audiences[0]], scopes: ['read:projects'], ...(r.chance(0.3) ? { roles: ['reader'] } : {}) }),
  '/admin/v1/clients/{client}': (_t, r) => ({ token_quota: r.pick(['100/min', '5/s', null]) }),
  '/admin/v1/app-clients': (t, r) => ({ name: r.string(10), tenant: t.tenantSlug, resources: [t.audiences[0]], scopes: ['read:projects'], redirect_uris: [`https://${r.string(6)}.fuzz.test/cb`], public: r.chance(0.5) }),
  '/admin/v1/users': (t, r) => ({ tenant: t.tenantSlug, email: `${r.string(8)}@fuzz.test`, ...(r.chance(0.5) ? { password: r.string(20) } : {}), roles: ['reader'] }),
  '/admin/v1/api-keys': (t, r) => ({ tenant: t.tenantSlug, name: r.string(10), scopes: ['read:projects'], ...(r.chance(0.5) ? { expires_in: r.pick(['1h', '90d', 'never']) } : {}) }),
  '/admin/v1/api-keys/{apiKey}/rotate': (_t, r) => ({ overlap: r.pick(['0', '1h', '7d']) }),
};
