import { DEFAULT_DPOP_ALGORITHMS, MemoryDpopReplayCache, type DpopConfig, type DpopReplayCache } from './dpop.js';
import { checkedAlgorithms, type JwsAlgorithm } from './algorithms.js';
import { fail } from './option-error.js';

/**
 * How the verifier checks DPoP proofs (RFC 9449) sent with DPoP-bound
 * tokens. Every field has a default; bound tokens are always checked.
 *
 * @example
 * ```ts
 * createVerifier({ issuer, audience, dpop: { proofMaxAge: 60, replayCache: sharedRedisReplayCache } });
 * ```
 *
 * @see RFC 9449 sections 4.3 and 11.1
 */
export interface DpopOptions {
  /** Proof algorithms accepted. Default ES256, EdDSA, PS256, RS256. */
  algorithms?: readonly JwsAlgorithm[];
  /** Seconds a proof is accepted around its `iat`; also how long its `jti` is remembered. Default 60. */
  proofMaxAge?: number;
  /** Where proof ids are remembered. Default: a {@link MemoryDpopReplayCache} per verifier. */
  replayCache?: DpopReplayCache;
}

/** Validates {@link DpopOptions} at creation, failing with a TypeError that names the option. */
export function resolveDpopOptions(options: DpopOptions | undefined, realm: string): DpopConfig {
  const algorithms = checkedAlgorithms(options?.algorithms, 'dpop.algorithms', DEFAULT_DPOP_ALGORITHMS);
  const proofMaxAge = options?.proofMaxAge ?? 60;
  if (typeof proofMaxAge !== 'number' || !Number.isFinite(proofMaxAge) || proofMaxAge <= 0 || proofMaxAge > 3600) {
    fail('dpop.proofMaxAge', 'must be a number of seconds, above 0 and at most 3600');
  }
  const replayCache = options?.replayCache ?? new MemoryDpopReplayCache();
  if (typeof replayCache?.remember !== 'function') fail('dpop.replayCache', 'must have a remember(key, expiresAt) method');
  return Object.freeze({ algorithms: Object.freeze([...algorithms]), proofMaxAge, replayCache, realm });
}
