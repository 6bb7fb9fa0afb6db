import { Ajv, type ErrorObject, type JSONSchemaType, type ValidateFunction } from 'ajv';
import { invalidRequest } from '../errors.js';
import { parseLimitSpec } from '../rate-limit/limit-spec.js';

/**
 * Operator input (CLI today, admin API later) is validated by AJV schemas that
 * are write allow-lists: unknown properties are refused, not ignored, so a
 * typo or a mass-assignment attempt surfaces as a 400 naming the field.
 */
const ajv = new Ajv({ allErrors: false, useDefaults: true, removeAdditional: false });

/**
 * `<count>/<unit>` as the rate limits read it (`1000/h`), checked by the same
 * parser the token path uses, so nothing stored can fail to parse there.
 */
ajv.addFormat('limit-spec', {
  type: 'string',
  validate: (value: string) => {
    try {
      parseLimitSpec(value, 'limit');
      return true;
    } catch {
      return false;
    }
  },
});

/** Schema for a quota field: a limit spec, or null to remove the quota. */
export const LIMIT_SPEC = { type: 'string', format: 'limit-spec', maxLength: 32, nullable: true } as const;

/** RFC 6749 §3.3 scope-token characters. */
export const SCOPE_TOKEN = '^[\\x21\\x23-\\x5B\\x5D-\\x7E]{1,128}$';
export const SLUG = '^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$';
export const ROLE = '^[A-Za-z0-9:._-]{1,64}$';
/** An absolute URI without a fragment (RFC 8707 resource indicators). */
export const AUDIENCE_URI = '^[A-Za-z][A-Za-z0-9+.-]*:[^#\\s\\x00-\\x1f]+$';
export const EMAIL = '^[^\\s@]+@[^\\s@]+$';

/** Each pattern above in words: an operator reads these, and a regex says little to most. */
const PATTERN_WORDS: Readonly<Record<string, string>> = {
  [SCOPE_TOKEN]: 'must be 1 to 128 printable ASCII characters, without spaces, double quotes or backslashes (read:projects)',
  [SLUG]: 'must be 1 to 64 lowercase letters, digits and hyphens, beginning and ending with a letter or digit (acme, acme-eu)',
  [ROLE]: 'must be 1 to 64 letters, digits and the characters : . _ - (editor, billing:admin)',
  [AUDIENCE_URI]: 'must be an absolute URI without a fragment, spaces or control characters (https://api.example.com)',
  [EMAIL]: 'must be an email address (name@example.com)',
};

function describe(error: ErrorObject): string {
  const field = error.instancePath.replace(/^\//, '').replace(/\//g, '.');
  if (error.keyword === 'additionalProperties') {
    return `${field ? `${field}.` : ''}${String(error.params['additionalProperty'])} is not a recognised field`;
  }
  if (error.keyword === 'required') return `${String(error.params['missingProperty'])} is required`;
  if (error.keyword === 'format' && error.params['format'] === 'limit-spec') {
    return `${field} must look like 1000/h, 300/min or 50000/day (a positive count per s, min, h or day, at most 7 days)`;
  }
  if (error.keyword === 'pattern') return `${field || 'input'} ${PATTERN_WORDS[String(error.params['pattern'])] ?? 'is not in the expected form'}`;
  return `${field || 'input'} ${error.message ?? 'is invalid'}`;
}

/**
 * Text PostgreSQL refuses: a NUL byte, or a UTF-16 surrogate without its
 * pair (not encodable as UTF-8). SQLite would store either, so the check is
 * here, not left to the database, and both databases answer alike.
 */
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Operator input is flat or a few levels deep (a client's inline JWKS, 5 levels, is the deepest); anything deeper is refused. */
export const MAX_INPUT_DEPTH = 16;

/**
 * The first field of `value` (at any depth, member names included) whose
 * text cannot be stored, as `a.b.0`; `input` for the value itself.
 */
function unstorableField(value: unknown, path: string, depth: number): string | undefined {
  if (typeof value === 'string') return UNSTORABLE.test(value) ? path : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  if (depth > MAX_INPUT_DEPTH) throw invalidRequest(`input is nested more than ${MAX_INPUT_DEPTH} levels deep`);
  for (const [key, member] of Object.entries(value)) {
    const field = path === 'input' ? key : `${path}.${key}`;
    if (UNSTORABLE.test(key)) return field;
    const found = unstorableField(member, field, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Every string of every schema passes one check before AJV sees it (see
 * UNSTORABLE), so no schema can forget it and no such value reaches a query.
 */
function checkStorable(input: unknown): void {
  const field = unstorableField(input, 'input', 0);
  if (field !== undefined) throw invalidRequest(`${field} holds a NUL character or an unpaired surrogate, which cannot be stored`);
}

export function compileInput<T>(schema: JSONSchemaType<T>): (input: unknown) => T {
  const validate: ValidateFunction<T> = ajv.compile(schema);
  return (input: unknown): T => {
    checkStorable(input);
    const copy = structuredClone(input);
    if (!validate(copy)) throw invalidRequest(describe((validate.errors ?? [])[0]!));
    return copy;
  };
}

/** Splits a space- or comma-separated list as operators type it on a command line. */
export function splitList(value: string | undefined): string[] {
  return (value ?? '').split(/[\s,]+/).filter(Boolean);
}

/** JSON text column → string array (SQLite and PostgreSQL store lists alike). */
export function parseList(value: string | null | undefined): string[] {
  if (!value) return [];
  const parsed: unknown = JSON.parse(value);
  return Array.isArray(parsed) ? parsed.filter((item): item is string => typeof item === 'string') : [];
}

/**
 * PostgreSQL text cannot hold a NUL byte or an unpaired surrogate and
 * answers such a query with an error; a lookup by client-supplied text
 * checks this first and treats the value as unknown instead of turning it
 * into a 500.
 */
export function isStorableText(value: string): boolean {
  return value.length > 0 && value.length <= 2000 && !UNSTORABLE.test(value);
}
