import { KeyStoreError } from './errors.js';

/**
 * Algorithms a signing key may use; ES256 is the default. Only asymmetric
 * signatures: a client secret can never become a signing key. The provider
 * enables exactly these (src/provider/create-provider.ts).
 */
export const SIGNING_ALGORITHMS = ['ES256', 'EdDSA', 'RS256', 'PS256'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

/** True for the algorithms in {@link SIGNING_ALGORITHMS} (for validating operator input). */
export function isSigningAlgorithm(alg: unknown): alg is SigningAlgorithm {
  return (SIGNING_ALGORITHMS as readonly unknown[]).includes(alg);
}

/** Returns `alg` if it is a supported signing algorithm, else throws ERR_UNSUPPORTED_ALGORITHM. */
export function assertSigningAlgorithm(alg: unknown, supported: readonly SigningAlgorithm[] = SIGNING_ALGORITHMS): SigningAlgorithm {
  if (!isSigningAlgorithm(alg) || !supported.includes(alg)) {
    throw new KeyStoreError('ERR_UNSUPPORTED_ALGORITHM', `signing algorithm must be one of ${supported.join(', ')}`);
  }
  return alg;
}
