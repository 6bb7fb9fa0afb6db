import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import argon2 from 'argon2';

/**
 * Client secrets: 256 bits from the CSPRNG, shown once, stored only as an
 * argon2id hash. Parameters are OWASP's first recommendation (19 MiB, t=2,
 * p=1); raising them costs every cache miss and every failed attempt.
 */
export const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function hashSecret(secret: string): Promise<string> {
  return argon2.hash(secret, ARGON2_OPTIONS);
}

let verifications = 0;

/**
 * How long one argon2 verification takes in this process: a moving average
 * of the ones it ran, seeded with a typical figure for ARGON2_OPTIONS on a
 * server core until the first one is timed.
 */
let typicalVerificationMs = 40;
const SMOOTHING = 0.1;

/**
 * argon2 verifications this process has run. The cheap way to prove a
 * path does not pay argon2 (the failed-authentication limit, the credential
 * cache) without a timing assertion that a busy machine can break.
 */
export function argon2Verifications(): number {
  return verifications;
}

/** False for a wrong secret and for a malformed stored hash: never throws on client input. */
export async function verifySecret(hash: string, presented: string): Promise<boolean> {
  verifications += 1;
  const started = performance.now();
  try {
    return await argon2.verify(hash, presented);
  } catch {
    return false;
  } finally {
    typicalVerificationMs += (performance.now() - started - typicalVerificationMs) * SMOOTHING;
  }
}

/**
 * Waits as long as a verification typically takes, without running one:
 * a credential that cannot exist is refused after the same time as a wrong
 * secret, so timing does not tell which ids exist, yet a flood of made-up
 * credentials costs a timer each, not argon2's CPU and memory.
 */
export async function waitLikeVerification(): Promise<void> {
  await sleep(typicalVerificationMs);
}
