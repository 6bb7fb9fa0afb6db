import type { AuditDetail } from './audit-log.js';

type Scalar = string | number | boolean | null;

/** Lists become space-separated text (scopes, roles), undefined becomes null. */
function flat(value: unknown): Scalar {
  if (value === undefined || value === null) return null;
  if (Array.isArray(value)) return value.join(' ');
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return JSON.stringify(value);
}

/**
 * An object's audited state: the named fields only, flattened to scalars.
 * Callers name the fields, so a secret or hash can never come along.
 */
export function snapshot<T extends object>(object: T, fields: readonly (keyof T & string)[]): AuditDetail {
  return Object.fromEntries(fields.map((field) => [field, flat(object[field])]));
}

/**
 * What a change did: `<field>.before` and `<field>.after` for each named
 * field whose value differs. Unchanged fields are left out.
 */
export function changeDetail<T extends object>(before: T, after: T, fields: readonly (keyof T & string)[]): AuditDetail {
  const detail: AuditDetail = {};
  for (const field of fields) {
    const was = flat(before[field]);
    const now = flat(after[field]);
    if (was !== now) {
      detail[`${field}.before`] = was;
      detail[`${field}.after`] = now;
    }
  }
  return detail;
}
