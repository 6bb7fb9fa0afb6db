import { checkedAlgorithms, type JwsAlgorithm } from './algorithms.js';
import type { DpopConfig } from './dpop.js';
import { resolveDpopOptions, type DpopOptions } from './dpop-options.js';
import { fail } from './option-error.js';

/**
 * How the verifier fetches and caches the issuer's JSON Web Key Set. All
 * durations are in seconds; fractions are allowed.
 *
 * @example
 * ```ts
 * createVerifier({ issuer, audience, jwks: { cacheMaxAge: 300, cooldown: 30 } });
 * ```
 *
 * @see RFC 7517 section 5 (JWK Set), RFC 8414 section 2 (`jwks_uri`)
 */
export interface JwksOptions {
  /**
   * How long a fetched key set is used before it is fetched again; this
   * bounds how long a key removed from the JWKS (an emergency revoke) is
   * still trusted. Default 600.
   */
  cacheMaxAge?: number;
  /**
   * After a successful fetch, how long a token with an unknown `kid` is
   * refused without fetching again. This is what stops a flood of random
   * `kid`s from hammering the JWKS server. Default 30.
   */
  cooldown?: number;
}

/**
 * How the verifier checks API keys, through the authorization server's
 * introspection endpoint. Durations in seconds.
 *
 * @example
 * ```ts
 * createVerifier({
 *   issuer, audience,
 *   introspection: { clientId: 'billing-api', clientSecret: process.env.TOLLGATE_SECRET! },
 * });
 * ```
 *
 * @see RFC 7662 section 2 (introspection endpoint), RFC 6749 section 2.3.1 (client_secret_basic)
 */
export interface IntrospectionOptions {
  /** Default: discovery's `introspection_endpoint`, else `${issuer}/token/introspection`. */
  endpoint?: string;
  /** The resource server's own client id at the authorization server. */
  clientId: string;
  clientSecret: string;
  /** How long an active key is trusted without asking again (capped by its `exp`). Default 30. */
  cacheTtl?: number;
  /** How long an inactive or unknown key is refused without asking again. Default 5. */
  negativeCacheTtl?: number;
  /** How many keys each of the two caches (active, inactive) holds. Default 1000. */
  cacheSize?: number;
}

/**
 * Options of {@link createVerifier}. Validated when the verifier is created;
 * a bad value throws a `TypeError` naming the option.
 *
 * @example
 * ```ts
 * const verifier = createVerifier({
 *   issuer: 'https://auth.example.com',
 *   audience: 'https://api.acme.test',
 * });
 * ```
 *
 * @see RFC 9068 section 4 (validating JWT access tokens)
 */
export interface VerifierOptions {
  /** The authorization server's issuer identifier; `iss` must equal it exactly. */
  issuer: string;
  /**
   * This resource server's identifier (RFC 8707 `resource`); `aud` must
   * contain it (or one of them), for JWTs and API keys alike.
   */
  audience: string | readonly string[];
  /**
   * The tenant (slug or id) this service serves alone: a token or API key
   * of any other tenant is refused (`ERR_WRONG_TENANT`, 403) before any
   * handler runs. Default: every tenant the resource server is shared with.
   */
  tenant?: string;
  /** Default: discovery's `jwks_uri`, else `${issuer}/jwks`. */
  jwksUri?: string;
  /** Accepted `alg` values; asymmetric only. Default {@link DEFAULT_ALGORITHMS}. */
  algorithms?: readonly JwsAlgorithm[];
  /** Seconds of clock skew tolerated on `exp` and `nbf`. Default 5. */
  clockTolerance?: number;
  /** Longer tokens are refused before any parsing. Default 8192 characters. */
  maxTokenLength?: number;
  /** The `realm` in `WWW-Authenticate` challenges. Default: the (first) audience. */
  realm?: string;
  /** Seconds before a discovery, JWKS or introspection request is abandoned. Default 5. */
  httpTimeout?: number;
  /**
   * Seconds after a failed discovery, JWKS or introspection request during
   * which requests that would need that server again get a 503 at once
   * instead of another request. Default 1.
   */
  retryAfterFailure?: number;
  jwks?: JwksOptions;
  /** DPoP proof checks for DPoP-bound tokens (RFC 9449). */
  dpop?: DpopOptions;
  /** Needed only to accept API keys. */
  introspection?: IntrospectionOptions;
}

/** The validated, normalised form of {@link VerifierOptions}; durations in milliseconds. */
export interface VerifierConfig {
  readonly issuer: string;
  readonly audience: readonly string[];
  readonly tenant: string | undefined;
  readonly realm: string;
  readonly discoveryUrl: URL;
  readonly defaultJwksUri: URL;
  readonly defaultIntrospectionEndpoint: URL;
  readonly jwksUri: URL | undefined;
  readonly algorithms: readonly JwsAlgorithm[];
  readonly clockTolerance: number;
  readonly maxTokenLength: number;
  readonly httpTimeoutMs: number;
  readonly retryAfterFailureMs: number;
  readonly jwksCacheMaxAgeMs: number;
  readonly jwksCooldownMs: number;
  readonly introspection: IntrospectionConfig | undefined;
  readonly dpop: DpopConfig;
}

/** The validated form of {@link IntrospectionOptions}; durations in milliseconds. */
export interface IntrospectionConfig {
  readonly endpoint: URL | undefined;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly cacheTtlMs: number;
  readonly negativeCacheTtlMs: number;
  readonly cacheSize: number;
}

/** Validates options once, failing fast with a message that names the option. */
export function resolveOptions(options: VerifierOptions): VerifierConfig {
  if (typeof options !== 'object' || options === null) fail('options', 'must be an object');
  const issuer = options.issuer;
  if (typeof issuer !== 'string' || parseHttpUrl(issuer) === undefined) fail('issuer', 'must be an absolute http(s) URL');
  const issuerUrl = parseHttpUrl(issuer);
  if (issuerUrl === undefined || issuerUrl.search !== '' || issuerUrl.hash !== '') {
    fail('issuer', 'must not have a query or fragment (RFC 8414 section 2)');
  }
  const audience = typeof options.audience === 'string' ? [options.audience] : options.audience;
  if (!Array.isArray(audience) || audience.length === 0 || !audience.every(isNonEmptyString)) {
    fail('audience', 'is required: a non-empty string or array of non-empty strings');
  }
  const base = issuer.replace(/\/+$/, '');
  const realm = options.realm === undefined ? audience[0] : checkedRealm(options.realm);
  return Object.freeze({
    issuer,
    audience: Object.freeze([...audience]),
    tenant: options.tenant === undefined ? undefined : checkedTenant(options.tenant),
    realm,
    discoveryUrl: new URL(`${base}/.well-known/openid-configuration`),
    defaultJwksUri: new URL(`${base}/jwks`),
    defaultIntrospectionEndpoint: new URL(`${base}/token/introspection`),
    jwksUri: options.jwksUri === undefined ? undefined : checkedUrl('jwksUri', options.jwksUri),
    algorithms: checkedAlgorithms(options.algorithms),
    clockTolerance: seconds('clockTolerance', options.clockTolerance, 5),
    maxTokenLength: positiveInteger('maxTokenLength', options.maxTokenLength, 8192),
    httpTimeoutMs: milliseconds('httpTimeout', options.httpTimeout, 5),
    retryAfterFailureMs: milliseconds('retryAfterFailure', options.retryAfterFailure, 1),
    jwksCacheMaxAgeMs: milliseconds('jwks.cacheMaxAge', options.jwks?.cacheMaxAge, 600),
    jwksCooldownMs: milliseconds('jwks.cooldown', options.jwks?.cooldown, 30),
    introspection: options.introspection === undefined ? undefined : checkedIntrospection(options.introspection),
    dpop: resolveDpopOptions(options.dpop, realm),
  });
}

function checkedIntrospection(options: IntrospectionOptions): IntrospectionConfig {
  if (!isNonEmptyString(options.clientId)) fail('introspection.clientId', 'is required');
  if (!isNonEmptyString(options.clientSecret)) fail('introspection.clientSecret', 'is required');
  return Object.freeze({
    endpoint: options.endpoint === undefined ? undefined : checkedUrl('introspection.endpoint', options.endpoint),
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    cacheTtlMs: milliseconds('introspection.cacheTtl', options.cacheTtl, 30),
    negativeCacheTtlMs: milliseconds('introspection.negativeCacheTtl', options.negativeCacheTtl, 5),
    cacheSize: positiveInteger('introspection.cacheSize', options.cacheSize, 1000),
  });
}

function checkedTenant(tenant: string): string {
  if (!isNonEmptyString(tenant)) fail('tenant', 'must be a non-empty string (the tenant slug or id)');
  return tenant;
}

function checkedRealm(realm: string): string {
  if (!isNonEmptyString(realm) || /["\\]|[^\x20-\x7e]/.test(realm)) fail('realm', 'must be printable ASCII without quotes or backslashes');
  return realm;
}

function checkedUrl(option: string, value: string): URL {
  const url = typeof value === 'string' ? parseHttpUrl(value) : undefined;
  if (url === undefined) fail(option, 'must be an absolute http(s) URL');
  return url;
}

function seconds(option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) fail(option, 'must be a non-negative number of seconds');
  return value;
}

function milliseconds(option: string, value: number | undefined, fallbackSeconds: number): number {
  return Math.round(seconds(option, value, fallbackSeconds) * 1000);
}

function positiveInteger(option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) fail(option, 'must be a positive integer');
  return value;
}

/** Parses an absolute http(s) URL; anything else is `undefined`. */
export function parseHttpUrl(value: string): URL | undefined {
  if (!URL.canParse(value)) return undefined;
  const url = new URL(value);
  return url.protocol === 'https:' || url.protocol === 'http:' ? url : undefined;
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}
