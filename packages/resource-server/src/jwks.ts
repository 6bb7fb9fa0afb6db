import { createRemoteJWKSet, errors } from 'jose';
import type { JWTVerifyGetKey, RemoteJWKSet } from 'jose';
import type { EndpointResolver } from './discovery.js';
import { ResourceServerError } from './errors.js';
import type { VerifierConfig } from './options.js';

/**
 * The key resolver handed to jose's `jwtVerify`: jose's `createRemoteJWKSet`
 * (cache for `jwks.cacheMaxAge`, one shared in-flight fetch, a refetch on an
 * unknown `kid` at most once per `jwks.cooldown`), with two additions:
 *
 * - its errors become {@link ResourceServerError}s: no matching key is an
 *   invalid token, anything else (network, non-200, bad JSON) means the JWKS
 *   is unavailable;
 * - jose retries a failed fetch on the very next request, so a JWKS server
 *   that is down would get one request per incoming request. After a failure
 *   this resolver answers from what it has, or with a 503, for
 *   `retryAfterFailure` before letting jose fetch again.
 *
 * @see RFC 7517 section 5, RFC 8725 section 3.1
 */
export function createKeyResolver(config: VerifierConfig, endpoints: EndpointResolver): JWTVerifyGetKey {
  let remote: RemoteJWKSet | undefined;
  let failedAt = Number.NEGATIVE_INFINITY;

  const remoteKeySet = async (): Promise<RemoteJWKSet> => {
    remote ??= createRemoteJWKSet(await endpoints.jwksUri(), {
      cacheMaxAge: config.jwksCacheMaxAgeMs,
      cooldownDuration: config.jwksCooldownMs,
      timeoutDuration: config.httpTimeoutMs,
    });
    return remote;
  };

  return async (header, token) => {
    const keySet = await remoteKeySet();
    if (Date.now() - failedAt < config.retryAfterFailureMs && wouldFetch(keySet, header.kid)) {
      if (!keySet.fresh) throw unavailable(config, undefined);
      throw noMatchingKey(config, undefined);
    }
    try {
      return await keySet(header, token);
    } catch (cause) {
      if (cause instanceof errors.JWKSNoMatchingKey || cause instanceof errors.JWKSMultipleMatchingKeys) {
        throw noMatchingKey(config, cause);
      }
      failedAt = Date.now();
      throw unavailable(config, cause);
    }
  };
}

/** Whether jose would have to fetch to resolve this `kid`. */
function wouldFetch(keySet: RemoteJWKSet, kid: string | undefined): boolean {
  if (!keySet.fresh) return true;
  if (keySet.coolingDown) return false;
  return !(keySet.jwks()?.keys.some((jwk) => jwk.kid === kid) ?? false);
}

function noMatchingKey(config: VerifierConfig, cause: unknown): ResourceServerError {
  return new ResourceServerError('ERR_INVALID_TOKEN', 'no key of the issuer matches the token kid', { realm: config.realm, cause });
}

function unavailable(config: VerifierConfig, cause: unknown): ResourceServerError {
  return new ResourceServerError('ERR_JWKS_UNAVAILABLE', 'the issuer signing keys could not be fetched', { realm: config.realm, cause });
}
