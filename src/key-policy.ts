import type { Config } from './config.js';

/** /jwks cache lifetime verifiers may apply; part of the retiring window. */
export const JWKS_MAX_AGE_SECONDS = 300;

/** Slack on top of the JWKS cache lifetime, for clock skew and slow refreshes. */
const KEY_MARGIN_SECONDS = 300;
/** The longest access-token TTL a resource server may set (resources.ts). */
const LONGEST_TOKEN_TTL_SECONDS = 86_400;

/**
 * Key lifecycle timing. A retiring key stays published until every token it
 * signed has expired and every verifier's cached JWKS has been refreshed; a
 * next key must have been published for a JWKS cache lifetime before it may
 * sign, so verifiers already hold it when the first token arrives.
 */
export function keyStoreOptions(config: Config): { retireAfterMs: number; nextKeyMinAgeMs: number } {
  const longestTokenTtl = Math.max(config.accessTokenTtlSeconds, LONGEST_TOKEN_TTL_SECONDS);
  return {
    retireAfterMs: (longestTokenTtl + JWKS_MAX_AGE_SECONDS + KEY_MARGIN_SECONDS) * 1000,
    nextKeyMinAgeMs: 0,
  };
}
