import { ResourceServerError } from './errors.js';
import { verifyDpopProof, type DpopPresentation } from './dpop.js';
import type { VerifierConfig } from './options.js';
import type { AccessTokenClaims } from './principal.js';

/** How an access token was presented: the Authorization scheme and, for DPoP, the proof and request. */
export interface TokenPresentation extends Partial<DpopPresentation> {
  readonly scheme: 'bearer' | 'dpop';
}

/**
 * RFC 9449 §7: a token bound to a key (`cnf.jkt`) is accepted only with the
 * `DPoP` scheme and a valid proof from that key; presented as `Bearer` it is
 * `invalid_token`, so a stolen bound token is useless without the key. An
 * unbound token presented with the `DPoP` scheme is refused too: the client
 * believes it is bound, and something is wrong.
 *
 * @see RFC 9449 sections 7.1 and 7.2
 */
export async function checkTokenBinding(config: VerifierConfig, token: string, claims: AccessTokenClaims, presentation: TokenPresentation): Promise<void> {
  const jkt = (claims['cnf'] as { jkt?: string } | undefined)?.jkt;
  const challenge = { realm: config.realm, scheme: 'DPoP', algs: config.dpop.algorithms } as const;
  if (jkt === undefined) {
    if (presentation.scheme === 'dpop') throw new ResourceServerError('ERR_INVALID_TOKEN', 'token is not DPoP-bound: present it as a Bearer token', challenge);
    return;
  }
  if (presentation.scheme !== 'dpop') {
    throw new ResourceServerError('ERR_INVALID_TOKEN', 'token is DPoP-bound: present it with the DPoP scheme and a DPoP proof', challenge);
  }
  await verifyDpopProof(config.dpop, { proof: presentation.proof, method: presentation.method, url: presentation.url }, token, jkt);
}
