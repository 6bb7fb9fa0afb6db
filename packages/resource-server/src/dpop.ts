import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, jwtVerify } from 'jose';
import type { JWTPayload, ProtectedHeaderParameters } from 'jose';
import { ResourceServerError } from './errors.js';

/**
 * Remembers DPoP proof ids so that a proof is accepted once. `remember`
 * answers true the first time it sees `key` and false while it remembers
 * it (until `expiresAt`, epoch ms). Plug in a shared store (Redis `SET NX
 * PX`) when several processes serve one API, so a replay to another process
 * is caught too.
 *
 * @example
 * ```ts
 * const redisReplayCache: DpopReplayCache = {
 *   remember: async (key, expiresAt) => (await redis.set(`dpop:${key}`, '1', 'PXAT', expiresAt, 'NX')) === 'OK',
 * };
 * ```
 *
 * @see RFC 9449 section 11.1 (DPoP proof replay)
 */
export interface DpopReplayCache {
  remember(key: string, expiresAt: number): boolean | Promise<boolean>;
}

/**
 * The in-memory {@link DpopReplayCache}: bounded (the oldest entries go first
 * when full, which with one fixed window are the first to expire anyway)
 * and per process.
 *
 * @example
 * ```ts
 * createVerifier({ issuer, audience, dpop: { replayCache: new MemoryDpopReplayCache(50_000) } });
 * ```
 */
export class MemoryDpopReplayCache implements DpopReplayCache {
  readonly #seen = new Map<string, number>();

  constructor(private readonly maxEntries = 100_000) {}

  remember(key: string, expiresAt: number): boolean {
    const now = Date.now();
    const known = this.#seen.get(key);
    if (known !== undefined && known > now) return false;
    this.#seen.delete(key);
    for (const [oldest, until] of this.#seen) {
      if (until > now && this.#seen.size < this.maxEntries) break;
      this.#seen.delete(oldest);
    }
    this.#seen.set(key, expiresAt);
    return true;
  }
}

/** What the request said, for a DPoP check. */
export interface DpopPresentation {
  /** The `DPoP` header value (the proof JWT). */
  readonly proof: string | null | undefined;
  /** The request method (`GET`, `POST`, …). */
  readonly method: string | undefined;
  /** The URL the client called, as it saw it (scheme, host, path; query and fragment are ignored). */
  readonly url: string | undefined;
}

/** The validated DPoP settings. */
export interface DpopConfig {
  readonly algorithms: readonly string[];
  /** Seconds a proof stays acceptable after its `iat` (and before it, for clock skew). */
  readonly proofMaxAge: number;
  readonly replayCache: DpopReplayCache;
  readonly realm: string;
}

/** Proof signing algorithms accepted by default (Tollgate's token endpoint advertises the same). */
export const DEFAULT_DPOP_ALGORITHMS = ['ES256', 'EdDSA', 'PS256', 'RS256'] as const;

const MAX_PROOF_LENGTH = 8192;

/** A DPoP refusal: RFC 9449 §7.1 `invalid_dpop_proof`, challenged with the DPoP scheme. */
function invalidProof(config: DpopConfig, description: string, cause?: unknown): ResourceServerError {
  return new ResourceServerError('ERR_INVALID_DPOP_PROOF', description, { realm: config.realm, scheme: 'DPoP', algs: config.algorithms, cause });
}

/**
 * Checks the DPoP proof presented with a DPoP-bound access token (RFC 9449
 * §4.3 and §7.1): a `dpop+jwt` signed by the public key in its own header
 * with an allowed asymmetric algorithm; that key's thumbprint equals the
 * token's `cnf.jkt`; `htm` and `htu` name this request; `ath` is the hash of
 * this token; `iat` is recent; `jti` was not seen before for this key.
 *
 * @see RFC 9449 sections 4.3, 7.1 and 11.1
 */
export async function verifyDpopProof(config: DpopConfig, presentation: DpopPresentation, accessToken: string, jkt: string): Promise<void> {
  const { proof, method, url } = presentation;
  if (typeof proof !== 'string' || proof === '') throw invalidProof(config, 'a DPoP proof is required with a DPoP-bound token');
  if (proof.length > MAX_PROOF_LENGTH || proof.split('.').length !== 3) throw invalidProof(config, 'DPoP proof is not a compact JWS');
  if (method === undefined || url === undefined) throw new TypeError('verifying a DPoP proof needs the request method and URL');

  let header: ProtectedHeaderParameters;
  let payload: JWTPayload;
  try {
    header = decodeProtectedHeader(proof);
    if (header.jwk === undefined || 'd' in header.jwk) throw new Error('jwk header must be a public key');
    ({ payload } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: [...config.algorithms] }));
  } catch (cause) {
    throw invalidProof(config, 'DPoP proof signature, typ, alg or jwk is not accepted', cause);
  }
  if ((await calculateJwkThumbprint(header.jwk!)) !== jkt) throw invalidProof(config, 'DPoP proof key does not match the token binding');
  if (payload['htm'] !== method.toUpperCase()) throw invalidProof(config, 'DPoP proof htm does not match the request method');
  if (typeof payload['htu'] !== 'string' || normalizedUrl(payload['htu']) !== normalizedUrl(url)) {
    throw invalidProof(config, 'DPoP proof htu does not match the request URL');
  }
  if (payload['ath'] !== createHash('sha256').update(accessToken).digest('base64url')) {
    throw invalidProof(config, 'DPoP proof ath does not match the access token');
  }
  const now = Math.floor(Date.now() / 1000);
  if (typeof payload.iat !== 'number' || Math.abs(now - payload.iat) > config.proofMaxAge) throw invalidProof(config, 'DPoP proof iat is not recent');
  if (typeof payload.jti !== 'string' || payload.jti === '' || payload.jti.length > 256) throw invalidProof(config, 'DPoP proof has no usable jti');
  const fresh = await config.replayCache.remember(`${jkt}:${payload.jti}`, (payload.iat + config.proofMaxAge) * 1000);
  if (!fresh) throw invalidProof(config, 'DPoP proof was already used');
}

/** htu compares without query and fragment (RFC 9449 §4.3 point 9), after URL normalisation. */
function normalizedUrl(value: string): string | undefined {
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (url === undefined) return undefined;
  url.search = '';
  url.hash = '';
  return url.href;
}
