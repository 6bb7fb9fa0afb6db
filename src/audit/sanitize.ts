/**
 * Cleans every value an audit event carries before it is written, so that
 * no input can make the database refuse a row: PostgreSQL rejects NUL in
 * text ("invalid byte sequence for encoding UTF8: 0x00"), a lone UTF-16
 * surrogate is not valid UTF-8, control characters forge lines in a log
 * reader's terminal, and columns have lengths. Many of these values are
 * chosen by an unauthenticated caller (the client id it names, the grant
 * type, forwarded addresses), so this runs on every field of every event.
 */

/** Stands in for every character removed: visible, valid in every encoding. */
const REPLACEMENT = '\uFFFD';
/** Marks a value cut to its length cap. */
const ELLIPSIS = '…';

/** C0 controls (NUL included), DEL and C1 controls: nothing an audited id or name needs. */
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/g;
/** A high surrogate with no low one after it, or a low one with no high one before it. */
const LONE_SURROGATES = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Caps on a `detail` object: keys, entries, text per value, nesting. */
export const DETAIL_LIMITS = { keyLength: 64, entries: 64, valueLength: 1_024, depth: 4 } as const;

/**
 * `value` as well-formed text with no control characters, at most
 * `maxLength` UTF-16 units (the cut never splits a surrogate pair).
 */
export function cleanText(value: string, maxLength: number): string {
  let text = value.replace(LONE_SURROGATES, REPLACEMENT).replace(CONTROL_CHARACTERS, REPLACEMENT);
  if (text.length > maxLength) {
    let end = maxLength - ELLIPSIS.length;
    const last = text.charCodeAt(end - 1);
    if (last >= 0xd800 && last <= 0xdbff) end -= 1;
    text = text.slice(0, end) + ELLIPSIS;
  }
  return text;
}

export type CleanValue = string | number | boolean | null | CleanValue[] | { [key: string]: CleanValue };

/**
 * Any detail value, cleaned: text as `cleanText`, non-finite numbers as
 * null, objects and arrays recursively (bounded in entries and depth, keys
 * cleaned too); anything else (functions, symbols, bigint) as text.
 */
export function cleanValue(value: unknown, depth = 0): CleanValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return cleanText(value, DETAIL_LIMITS.valueLength);
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'boolean') return value;
  if (typeof value !== 'object') return cleanText(String(value), DETAIL_LIMITS.valueLength);
  if (depth >= DETAIL_LIMITS.depth) return REPLACEMENT;
  if (Array.isArray(value)) return value.slice(0, DETAIL_LIMITS.entries).map((item) => cleanValue(item, depth + 1));
  return cleanObject(value as Record<string, unknown>, depth + 1);
}

/** An object's entries, cleaned and capped (see `cleanValue`). */
export function cleanObject(object: Record<string, unknown>, depth = 0): Record<string, CleanValue> {
  const clean: Record<string, CleanValue> = {};
  for (const [key, value] of Object.entries(object).slice(0, DETAIL_LIMITS.entries)) {
    clean[cleanText(key, DETAIL_LIMITS.keyLength)] = cleanValue(value, depth);
  }
  return clean;
}
