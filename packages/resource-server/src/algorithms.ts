import { fail } from './option-error.js';

/**
 * The asymmetric JWS algorithms a verifier can accept. `none` and the HMAC
 * algorithms (`HS256` …) are deliberately absent: a resource server holds
 * only public keys, and accepting a symmetric algorithm is what makes
 * algorithm-confusion attacks possible.
 *
 * @example
 * ```ts
 * const algorithms: JwsAlgorithm[] = ['ES256', 'EdDSA'];
 * ```
 *
 * @see RFC 8725 section 3.1 (perform algorithm verification), RFC 7518 section 3.1
 */
export type JwsAlgorithm =
  | 'ES256'
  | 'ES384'
  | 'ES512'
  | 'EdDSA'
  | 'Ed25519'
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'PS384'
  | 'PS512';

const ASYMMETRIC_ALGORITHMS: ReadonlySet<string> = new Set<JwsAlgorithm>([
  'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512',
]);

/**
 * The algorithms accepted when `algorithms` is not given: the ones Tollgate
 * can sign with.
 *
 * @example
 * ```ts
 * createVerifier({ issuer, audience, algorithms: [...DEFAULT_ALGORITHMS] });
 * ```
 *
 * @see RFC 8725 section 3.1
 */
export const DEFAULT_ALGORITHMS: readonly JwsAlgorithm[] = Object.freeze(['ES256', 'EdDSA', 'RS256', 'PS256']);

/** An algorithm option (`algorithms`, `dpop.algorithms`): asymmetric JWS algorithms only, `fallback` when not given. */
export function checkedAlgorithms(
  algorithms: readonly JwsAlgorithm[] | undefined,
  option = 'algorithms',
  fallback: readonly JwsAlgorithm[] = DEFAULT_ALGORITHMS,
): readonly JwsAlgorithm[] {
  if (algorithms === undefined) return fallback;
  if (!Array.isArray(algorithms) || algorithms.length === 0) fail(option, 'must be a non-empty array');
  for (const algorithm of algorithms as readonly unknown[]) {
    if (typeof algorithm !== 'string' || !ASYMMETRIC_ALGORITHMS.has(algorithm)) {
      fail(option, `may list only asymmetric JWS algorithms (${[...ASYMMETRIC_ALGORITHMS].join(', ')}); "none" and HS* are never accepted`);
    }
  }
  return Object.freeze([...new Set(algorithms)]);
}
