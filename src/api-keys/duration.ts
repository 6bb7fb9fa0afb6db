import { invalidRequest } from '../errors.js';

const UNIT_SECONDS = { s: 1, m: 60, h: 3_600, d: 86_400 } as const;
const DURATION = /^(\d{1,9})([smhd]?)$/;

/**
 * Parses a duration as operators type it (`--expires-in 90d`,
 * `--overlap 12h`): a whole number with an optional unit `s`, `m`, `h` or
 * `d` (no unit means seconds), or `never`.
 *
 * @returns seconds, or null for `never` (a key that does not expire).
 * @throws TollgateError (invalid_request) naming `name` for anything else.
 * @example parseDuration('90d') // 7776000
 * @example parseDuration('never') // null
 */
export function parseDuration(value: string, name = 'duration'): number | null {
  const text = value.trim().toLowerCase();
  if (text === 'never') return null;
  const match = DURATION.exec(text);
  if (!match) throw invalidRequest(`${name} must be a whole number of seconds, or like 90d, 12h, 30m, 45s, or never`);
  const [, amount = '', unit = ''] = match;
  return Number(amount) * UNIT_SECONDS[(unit || 's') as keyof typeof UNIT_SECONDS];
}
