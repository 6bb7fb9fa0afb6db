import { invalidRequest } from '../errors.js';

export function required(value: string | undefined, what: string): string {
  if (!value) throw invalidRequest(`${what} is required`);
  return value;
}

export function integer(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw invalidRequest(`${what} must be a whole number`);
  return Number(value);
}
