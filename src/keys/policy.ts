import type { Config } from '../config.js';

/** Slack on top of the JWKS cache lifetime, for clock skew and slow refreshes. */
const KEY_MARGIN_SECONDS = 60;
/** The longest access-token TTL a resource server may set (resources.ts). */
const LONGEST_TOKEN_TTL_SECONDS = 86_400;

/**
 * Key lifecycle timing, derived from how long verifiers may cache /jwks
 * (TOLLGATE_JWKS_MAX_AGE, sent as its Cache-Control max-age):
 *
 * - a `next` key must have been published for a full cache lifetime (plus a
 *   margin) before a rotation lets it sign, so every verifier already holds
 *   it when the first token it signed arrives;
 * - a `retiring` key stays published until every token it signed has expired
 *   (the longest TTL a resource server may set) and every cached copy of the
 *   key set has been refreshed.
 */
export function keyStoreOptions(config: Config): { retireAfterMs: number; nextKeyMinAgeMs: number } {
  const longestTokenTtl = Math.max(config.accessTokenTtlSeconds, LONGEST_TOKEN_TTL_SECONDS);
  const cacheSlack = config.jwksMaxAgeSeconds + Math.min(KEY_MARGIN_SECONDS, config.jwksMaxAgeSeconds);
  return {
    retireAfterMs: (longestTokenTtl + cacheSlack) * 1000,
    nextKeyMinAgeMs: cacheSlack * 1000,
  };
}
