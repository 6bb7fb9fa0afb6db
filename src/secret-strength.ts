/**
 * How much guessing a sealing secret resists, estimated without knowing how
 * it was made: its length times log2 of the number of distinct characters
 * it uses. `aaaa…` (one distinct character) scores 0 bits, a 32-character
 * word repeated scores little, and `openssl rand -base64 32` (44 characters,
 * about 30 distinct) scores over 200.
 */
export function estimatedSecretBits(secret: string): number {
  const distinct = new Set(secret).size;
  return distinct < 2 ? 0 : secret.length * Math.log2(distinct);
}

/** AES-256-GCM keys and cookie keys derive from the secret: ask for at least 128 bits of it. */
export const MIN_SECRET_BITS = 128;
/** Few distinct characters means a pattern, whatever the length (`abababab…`). */
export const MIN_SECRET_DISTINCT_CHARACTERS = 10;

/**
 * Why `secret` is too weak to seal keys with, or undefined when it is strong
 * enough. The message never contains the secret.
 */
export function secretWeakness(secret: string): string | undefined {
  if (secret.length < 32) return 'must be at least 32 characters';
  if (new Set(secret).size < MIN_SECRET_DISTINCT_CHARACTERS || estimatedSecretBits(secret) < MIN_SECRET_BITS) {
    return `is too predictable (use at least ${MIN_SECRET_DISTINCT_CHARACTERS} distinct characters and about ${MIN_SECRET_BITS} bits of randomness)`;
  }
  return undefined;
}

/** How to make a good one, for error messages and the README. */
export const SECRET_HOWTO = 'generate one with `openssl rand -base64 32`';
