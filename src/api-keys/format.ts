import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * API keys look like `tg_<env>_<id>_<secret><checksum>` (the prefixed-token
 * idea of GitHub's and Ory's formats):
 *
 * - `tg_` and the environment tag let a secret scanner find a leaked key and
 *   tell a production key from a test one;
 * - `id` (22 base62 chars, ~131 bits) is the database lookup id, so
 *   verification reads one row by primary key and runs argon2 once;
 * - `secret` (43 base62 chars, ~256 bits) is what the stored argon2id hash
 *   covers;
 * - `checksum` (6 base62 chars) is the CRC32 of everything before it, so a
 *   typo or a truncated copy is refused without a database lookup or argon2.
 *
 * Base62 has no `_`, so the separators are unambiguous and a key
 * double-click-selects as one word.
 */
export const API_KEY_PREFIX = 'tg_';

/** Environment tags a key can carry; `live` unless the operator asks for `test`. */
export const API_KEY_ENVIRONMENTS = ['live', 'test'] as const;
export type ApiKeyEnvironment = (typeof API_KEY_ENVIRONMENTS)[number];

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const ID_LENGTH = 22;
const SECRET_LENGTH = 43;
const CHECKSUM_LENGTH = 6;
const LONGEST_ENVIRONMENT = Math.max(...API_KEY_ENVIRONMENTS.map((env) => env.length));

/** No valid key is longer; anything longer is refused before any regex runs. */
export const API_KEY_MAX_LENGTH =
  API_KEY_PREFIX.length + LONGEST_ENVIRONMENT + 1 + ID_LENGTH + 1 + SECRET_LENGTH + CHECKSUM_LENGTH;

const SHAPE = new RegExp(
  `^${API_KEY_PREFIX}(${API_KEY_ENVIRONMENTS.join('|')})_([0-9A-Za-z]{${ID_LENGTH}})_([0-9A-Za-z]{${SECRET_LENGTH}})([0-9A-Za-z]{${CHECKSUM_LENGTH}})$`,
);
const LOOKS_LIKE = new RegExp(`^${API_KEY_PREFIX}(?:${API_KEY_ENVIRONMENTS.join('|')})_`);

/** The parts of a well-formed key. */
export interface ParsedApiKey {
  env: ApiKeyEnvironment;
  /** Lookup id (not secret: it is shown in listings and audit events). */
  id: string;
  /** The secret part, the only thing the stored hash covers. */
  secret: string;
}

/** Uniform base62 characters from the CSPRNG (rejection sampling: no modulo bias). */
function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // 248 = 4 × 62: bytes at or above it would favour the first characters.
      if (byte < 248 && out.length < length) out += BASE62[byte % 62];
    }
  }
  return out;
}

function checksumOf(body: string): string {
  let value = crc32(body);
  let out = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i += 1) {
    out = BASE62[value % 62] + out;
    value = Math.floor(value / 62);
  }
  return out;
}

/** A new random lookup id. */
export function generateApiKeyId(): string {
  return randomBase62(ID_LENGTH);
}

/**
 * Generates the parts of a new key and its full text.
 * @example generateApiKey('test').key // 'tg_test_' + 22 chars + '_' + 49 chars
 */
export function generateApiKey(env: ApiKeyEnvironment = 'live', id: string = generateApiKeyId()): ParsedApiKey & { key: string } {
  const secret = randomBase62(SECRET_LENGTH);
  return { env, id, secret, key: formatApiKey({ env, id, secret }) };
}

/** Joins the parts and appends the checksum. */
export function formatApiKey(parts: ParsedApiKey): string {
  const body = `${API_KEY_PREFIX}${parts.env}_${parts.id}_${parts.secret}`;
  return body + checksumOf(body);
}

/**
 * The parts of a well-formed key with a correct checksum, or undefined for
 * anything else (wrong type, prefix or environment, wrong lengths, a `_`
 * inside the id or secret, over-long input, checksum mismatch). Cheap: no
 * I/O and no hashing, so it is safe on untrusted input of any size.
 */
export function parseApiKey(value: unknown): ParsedApiKey | undefined {
  if (typeof value !== 'string' || value.length > API_KEY_MAX_LENGTH) return undefined;
  const match = SHAPE.exec(value);
  if (!match) return undefined;
  const [, env, id, secret, checksum] = match;
  if (!env || !id || !secret || checksumOf(value.slice(0, -CHECKSUM_LENGTH)) !== checksum) return undefined;
  // SHAPE admits only the listed environments.
  return { env: env as ApiKeyEnvironment, id, secret };
}

/**
 * True when a value is meant to be an API key (prefix and environment tag),
 * whether or not it is valid: lets a caller route a presented credential to
 * API-key verification rather than token introspection.
 */
export function looksLikeApiKey(value: unknown): value is string {
  return typeof value === 'string' && LOOKS_LIKE.test(value);
}
