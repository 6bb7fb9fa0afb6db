import { decodeProtectedHeader, errors, jwtVerify } from 'jose';
import type { JWTPayload, JWTVerifyGetKey, ProtectedHeaderParameters } from 'jose';
import { ResourceServerError } from './errors.js';
import { checkTokenBinding, type TokenPresentation } from './token-binding.js';
import type { VerifierConfig } from './options.js';
import { parseScope, sealPrincipal } from './principal.js';
import type { AccessTokenClaims, AccessTokenPrincipal } from './principal.js';

/**
 * Verifies one JWT access token and returns who presented it. A DPoP-bound
 * token needs `presentation` (scheme `dpop`, the proof, method and URL).
 */
export type AccessTokenVerifier = (token: string, presentation?: TokenPresentation) => Promise<AccessTokenPrincipal>;

/** Three base64url segments; the signature may be empty so that `alg: none` is refused by name. */
const COMPACT_JWS = /^[\w-]+\.[\w-]+\.[\w-]*$/;

const REQUIRED_CLAIMS = ['iss', 'aud', 'exp', 'iat', 'sub', 'jti', 'client_id'];

/**
 * RFC 9068 validation, done completely. Cheap checks come first and need no
 * network: the length (before any parsing), the shape, then the header —
 * `typ` must be `at+jwt`, `alg` on the allow-list, `kid` present, no `crit` —
 * so a malformed or hostile token never causes a JWKS fetch. Then jose checks
 * the signature with a key from the issuer's JWKS and the registered claims
 * (`iss` exact, `aud`, `exp`, `nbf`, presence of `iat`, `sub`, `jti`,
 * `client_id`), and this module checks the types of the Tollgate claims.
 *
 * @see RFC 9068 section 4, RFC 8725 sections 3.1, 3.8, 3.9, 3.11
 */
export function createAccessTokenVerifier(config: VerifierConfig, getKey: JWTVerifyGetKey): AccessTokenVerifier {
  const allowedAlgorithms: ReadonlySet<string> = new Set(config.algorithms);
  const invalid = (description: string, cause?: unknown): ResourceServerError =>
    new ResourceServerError('ERR_INVALID_TOKEN', description, { realm: config.realm, cause });

  const checkHeader = (header: ProtectedHeaderParameters): void => {
    if (typeof header.typ !== 'string' || normalizeTyp(header.typ) !== 'application/at+jwt') {
      throw invalid('token typ must be at+jwt');
    }
    if (typeof header.alg !== 'string' || !allowedAlgorithms.has(header.alg)) throw invalid('token alg is not allowed');
    // jose would pick the only key of a one-key set for a token without kid;
    // requiring kid makes key selection never depend on the set's size.
    if (typeof header.kid !== 'string' || header.kid === '') throw invalid('token header has no kid');
    if (header.crit !== undefined) throw invalid('token uses critical header extensions');
  };

  return async (token, presentation) => {
    if (typeof token !== 'string' || token === '') throw invalid('token is not a compact JWS');
    if (token.length > config.maxTokenLength) throw invalid('token exceeds the maximum length');
    if (token.startsWith('tg_')) throw invalid('API keys are sent in the X-API-Key header');
    if (!COMPACT_JWS.test(token)) throw invalid('token is not a compact JWS');
    let header: ProtectedHeaderParameters;
    try {
      header = decodeProtectedHeader(token);
    } catch (cause) {
      throw invalid('token header is malformed', cause);
    }
    checkHeader(header);

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, getKey, {
        issuer: config.issuer,
        audience: [...config.audience],
        algorithms: [...config.algorithms],
        typ: 'at+jwt',
        clockTolerance: config.clockTolerance,
        requiredClaims: REQUIRED_CLAIMS,
      }));
    } catch (cause) {
      throw fromJoseError(cause, config.realm);
    }
    const claims = checkClaimTypes(payload, invalid);
    await checkTokenBinding(config, token, claims, presentation ?? { scheme: 'bearer' });
    return sealPrincipal<AccessTokenPrincipal>({
      type: 'access_token',
      subject: claims.sub,
      clientId: claims.client_id,
      tenantId: claims.tenant_id,
      tenant: claims.tenant,
      scopes: parseScope(claims.scope),
      roles: [...(claims.roles ?? [])],
      claims,
    }, config.realm);
  };
}

/** `typ` is a media type: case-insensitive, `application/` may be omitted (RFC 7515 section 4.1.9). */
function normalizeTyp(typ: string): string {
  const lower = typ.toLowerCase();
  return lower.includes('/') ? lower : `application/${lower}`;
}

function fromJoseError(cause: unknown, realm: string): ResourceServerError {
  if (cause instanceof ResourceServerError) return cause;
  if (cause instanceof errors.JWTExpired) {
    return new ResourceServerError('ERR_TOKEN_EXPIRED', 'token has expired', { realm, cause });
  }
  let description = 'token is malformed';
  if (cause instanceof errors.JWSSignatureVerificationFailed) description = 'token signature is invalid';
  else if (cause instanceof errors.JWTClaimValidationFailed) {
    if (cause.reason === 'missing') description = `token has no ${cause.claim} claim`;
    else if (cause.claim === 'nbf') description = 'token is not yet valid';
    else description = `token ${cause.claim} claim is not accepted`;
  }
  return new ResourceServerError('ERR_INVALID_TOKEN', description, { realm, cause });
}

/**
 * jose has checked presence and the registered claims' values; these are the
 * types it does not check. A signed token with a wrongly typed claim is
 * refused rather than half-trusted.
 */
function checkClaimTypes(payload: JWTPayload, invalid: (description: string) => ResourceServerError): AccessTokenClaims {
  for (const claim of ['sub', 'jti', 'client_id'] as const) {
    if (!isNonEmptyString(payload[claim])) throw invalid(`token ${claim} claim is not accepted`);
  }
  for (const claim of ['scope', 'tenant_id', 'tenant'] as const) {
    if (payload[claim] !== undefined && typeof payload[claim] !== 'string') throw invalid(`token ${claim} claim is not accepted`);
  }
  if (Array.isArray(payload.aud) && !payload.aud.every((aud) => typeof aud === 'string')) throw invalid('token aud claim is not accepted');
  if (payload.roles !== undefined && !isStringArray(payload.roles)) throw invalid('token roles claim is not accepted');
  if (payload.token_version !== undefined && typeof payload.token_version !== 'number') {
    throw invalid('token token_version claim is not accepted');
  }
  // A cnf claim binds the token to a key. DPoP (`jkt`) is checked by
  // token-binding.ts; any other binding (mTLS `x5t#S256`) is one this
  // package cannot check, and accepting it as a bearer token would void it.
  if (payload.cnf !== undefined) {
    const cnf = payload.cnf as Record<string, unknown> | null;
    if (typeof cnf !== 'object' || cnf === null || Object.keys(cnf).length !== 1 || !isNonEmptyString(cnf['jkt'])) {
      throw invalid('sender-constrained tokens other than DPoP are not supported');
    }
  }
  return payload as AccessTokenClaims;
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}
