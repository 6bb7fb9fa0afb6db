import type { TestContext } from 'node:test';
import { createHmac, createPublicKey } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { CryptoKey, JWK, JWTPayload } from 'jose';

/** A signing key of the fake authorization server. */
export interface SigningKey {
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: CryptoKey;
  /** The public JWK as the server publishes it. */
  readonly jwk: JWK;
}

export async function createSigningKey(kid: string, alg = 'ES256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, jwk };
}

export const AUDIENCE = 'https://api.acme.test';

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** The claims Tollgate puts in a client_credentials access token. */
export function accessTokenClaims(issuer: string, overrides: Record<string, unknown> = {}): JWTPayload {
  const now = nowSeconds();
  return {
    iss: issuer,
    sub: 'client-7',
    aud: AUDIENCE,
    exp: now + 900,
    iat: now,
    jti: `jti-${Math.random().toString(36).slice(2)}`,
    client_id: 'client-7',
    scope: 'read:projects write:projects',
    tenant_id: 'tenant-42',
    tenant: 'acme',
    roles: ['developer'],
    token_version: 1,
    ...overrides,
  };
}

/** Signs claims as Tollgate does; `header` overrides (or, with `undefined`, removes) header members. */
export async function signAccessToken(key: SigningKey, claims: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  const protectedHeader = { alg: key.alg, typ: 'at+jwt', kid: key.kid, ...header };
  return new SignJWT(claims).setProtectedHeader(protectedHeader as { alg: string }).sign(key.privateKey);
}

export function base64url(value: string | Uint8Array): string {
  return Buffer.from(value).toString('base64url');
}

/** A token with an unsigned (`alg: none`) header, as an attacker would forge it. */
export function unsignedToken(claims: JWTPayload, kid: string): string {
  return `${base64url(JSON.stringify({ alg: 'none', typ: 'at+jwt', kid }))}.${base64url(JSON.stringify(claims))}.`;
}

/**
 * An HS256 token whose HMAC secret is the issuer's public key in PEM: the
 * algorithm-confusion attack, which works on a verifier that lets the token
 * choose the algorithm for a key.
 */
export function hmacTokenWithPublicKey(claims: JWTPayload, key: SigningKey): string {
  const pem = createPublicKey({ key: { ...key.jwk }, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
  const input = `${base64url(JSON.stringify({ alg: 'HS256', typ: 'at+jwt', kid: key.kid }))}.${base64url(JSON.stringify(claims))}`;
  const signature = createHmac('sha256', pem).update(input).digest('base64url');
  return `${input}.${signature}`;
}

/** The order of the P-256 group. */
const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

/** Replaces the ES256 signature (r, s) by (r, n - s): another valid signature of the same token. */
export function malleateEs256(token: string): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const bytes = Buffer.from(signature, 'base64url');
  const s = BigInt(`0x${bytes.subarray(32).toString('hex')}`);
  const flipped = Buffer.from((P256_ORDER - s).toString(16).padStart(64, '0'), 'hex');
  return `${header}.${payload}.${Buffer.concat([bytes.subarray(0, 32), flipped]).toString('base64url')}`;
}

/**
 * Stops `Date` at the current time for the rest of test `t`; the test moves
 * it with `t.mock.timers.tick(ms)`. Caches, cooldowns and back-offs (jose's
 * included) read `Date.now()`, so a test of "within the cooldown" holds
 * however slow the machine, and one of "after it" needs no sleep.
 */
export function frozenClock(t: TestContext): void {
  t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
}
