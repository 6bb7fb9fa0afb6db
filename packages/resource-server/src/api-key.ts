import { createHash } from 'node:crypto';
import type { EndpointResolver } from './discovery.js';
import { ResourceServerError } from './errors.js';
import { IntrospectionUnavailable, introspect } from './introspection.js';
import { LruCache } from './lru-cache.js';
import type { IntrospectionConfig, VerifierConfig } from './options.js';
import { parseScope, sealPrincipal } from './principal.js';
import type { ApiKeyClaims, ApiKeyPrincipal } from './principal.js';

/** Verifies one API key and returns who presented it. */
export type ApiKeyVerifier = (apiKey: string) => Promise<ApiKeyPrincipal>;

/** `tg_<env>_<id>_<secret+checksum>`; the secret may itself contain `_` or `-`. */
const API_KEY_FORMAT = /^tg_[\w-]+$/;
const MAX_API_KEY_LENGTH = 256;

/**
 * API keys are opaque to a resource server, so each is checked by the
 * authorization server's introspection endpoint, and the answer cached:
 * active keys for `cacheTtl` (never past the key's `exp`), refused keys for
 * `negativeCacheTtl`, in two separate bounded LRU caches so that a flood of
 * made-up keys cannot evict the real ones. The caches, and the map that
 * shares one in-flight request among concurrent requests with the same key,
 * are keyed by the key's SHA-256, never by the key. A key that is not even
 * shaped like a Tollgate key is refused without a request.
 *
 * @see RFC 7662 section 4 (caching and its trade-off with revocation)
 */
export function createApiKeyVerifier(config: VerifierConfig, endpoints: EndpointResolver): ApiKeyVerifier {
  const settings = config.introspection;
  const refuse = (description: string): ResourceServerError =>
    new ResourceServerError('ERR_INVALID_API_KEY', description, { realm: config.realm });
  if (settings === undefined) {
    return async () => {
      throw refuse('API keys are not accepted by this resource server');
    };
  }

  const active = new LruCache<ApiKeyPrincipal>(settings.cacheSize);
  const refused = new LruCache<string>(settings.cacheSize);
  const inFlight = new Map<string, Promise<ApiKeyPrincipal>>();
  let failedAt = Number.NEGATIVE_INFINITY;

  const lookUp = async (apiKey: string, digest: string): Promise<ApiKeyPrincipal> => {
    if (Date.now() - failedAt < config.retryAfterFailureMs) {
      throw new ResourceServerError('ERR_INTROSPECTION_FAILED', 'the API key could not be checked', { realm: config.realm });
    }
    const endpoint = await endpoints.introspectionEndpoint();
    let outcome: Outcome;
    try {
      outcome = evaluate(await introspect(endpoint, apiKey, settings, config.httpTimeoutMs), config, settings);
    } catch (cause) {
      failedAt = Date.now();
      throw new ResourceServerError('ERR_INTROSPECTION_FAILED', 'the API key could not be checked', { realm: config.realm, cause });
    }
    if ('refusal' in outcome) {
      refused.set(digest, outcome.refusal, settings.negativeCacheTtlMs);
      throw refuse(outcome.refusal);
    }
    active.set(digest, outcome.principal, outcome.ttlMs);
    return outcome.principal;
  };

  return async (apiKey) => {
    if (typeof apiKey !== 'string' || apiKey.length > MAX_API_KEY_LENGTH || !API_KEY_FORMAT.test(apiKey)) {
      throw refuse('API key is malformed');
    }
    const digest = createHash('sha256').update(apiKey).digest('base64url');
    const cached = active.get(digest);
    if (cached !== undefined) return cached;
    const refusal = refused.get(digest);
    if (refusal !== undefined) throw refuse(refusal);
    let pending = inFlight.get(digest);
    if (pending === undefined) {
      pending = lookUp(apiKey, digest).finally(() => inFlight.delete(digest));
      inFlight.set(digest, pending);
    }
    return pending;
  };
}

type Outcome = { principal: ApiKeyPrincipal; ttlMs: number } | { refusal: string };

/**
 * Turns an introspection answer into a principal or a refusal. An answer that
 * breaks the contract (an active key without `sub`, wrongly typed members)
 * throws, so it is reported as an introspection failure, not a bad key.
 */
function evaluate(response: Record<string, unknown>, config: VerifierConfig, settings: IntrospectionConfig): Outcome {
  if (response.active !== true) return { refusal: 'API key is not active' };
  if (response.token_type !== 'api_key') return { refusal: 'credential is not an API key' };
  if (typeof response.sub !== 'string' || response.sub === '') throw new IntrospectionUnavailable('active API key without sub');
  for (const member of ['scope', 'tenant_id', 'tenant', 'client_id', 'iss'] as const) {
    if (response[member] !== undefined && typeof response[member] !== 'string') throw new IntrospectionUnavailable(`${member} is not a string`);
  }
  const roles = response.roles;
  if (roles !== undefined && !(Array.isArray(roles) && roles.every((role) => typeof role === 'string'))) {
    throw new IntrospectionUnavailable('roles is not an array of strings');
  }
  if (response.exp !== undefined && typeof response.exp !== 'number') throw new IntrospectionUnavailable('exp is not a number');

  const now = Date.now();
  if (response.exp !== undefined && response.exp * 1000 <= now - config.clockTolerance * 1000) {
    return { refusal: 'API key has expired' };
  }
  if (response.iss !== undefined && response.iss !== config.issuer) return { refusal: 'API key belongs to another issuer' };
  // Checked as a JWT's is: a key names the resource servers it is for, and one without an audience is for none.
  if (!audiences(response.aud).some((aud) => typeof aud === 'string' && config.audience.includes(aud))) {
    return { refusal: 'API key is not valid for this resource server' };
  }

  const claims = response as ApiKeyClaims;
  const ttlMs = response.exp === undefined ? settings.cacheTtlMs : Math.min(settings.cacheTtlMs, response.exp * 1000 - now);
  const principal = sealPrincipal<ApiKeyPrincipal>({
    type: 'api_key',
    subject: claims.sub,
    clientId: claims.client_id,
    tenantId: claims.tenant_id,
    tenant: claims.tenant,
    scopes: parseScope(claims.scope),
    roles: [...((roles as string[] | undefined) ?? [])],
    claims,
  }, config.realm);
  return { principal, ttlMs };
}

function audiences(aud: unknown): readonly unknown[] {
  if (aud === undefined) return [];
  return Array.isArray(aud) ? aud : [aud];
}
