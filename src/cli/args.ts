import { invalidRequest } from '../errors.js';

export function required(value: string | undefined, what: string): string {
  if (!value) throw invalidRequest(`${what} is required`);
  return value;
}

/**
 * `--token-quota`: a `<count>/<unit>` spec (validated by the registry),
 * `none` to remove the quota, or undefined when the option was not given.
 */
export function quota(value: string | undefined): string | null | undefined {
  if (value === undefined) return undefined;
  return value.trim().toLowerCase() === 'none' ? null : value;
}

export function integer(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw invalidRequest(`${what} must be a whole number`);
  return Number(value);
}
