import type { AdapterPayload } from 'oidc-provider';
import type { IdProtection } from './stored-ids.js';

/**
 * Credentials a payload carries besides its own id, sealed in the stored
 * JSON: an interaction names the session cookie it belongs to, the pushed
 * request and device code it completes, and its own id again inside the
 * URL it resumes at (`returnTo`, which the resume cookie unlocks).
 */
const SEALED_FIELDS: Readonly<Record<string, readonly (readonly string[])[]>> = {
  Interaction: [['session', 'cookie'], ['parJti'], ['deviceCode'], ['returnTo']],
};

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Applies `change` to the string at `path`, copying every object on the way so the caller's payload is never altered. */
function mapAt(target: Json, path: readonly string[], change: (value: string) => string): Json {
  const [head, ...rest] = path;
  if (head === undefined || !Object.hasOwn(target, head)) return target;
  const value = target[head];
  if (rest.length === 0) return typeof value === 'string' ? { ...target, [head]: change(value) } : target;
  return isObject(value) ? { ...target, [head]: mapAt(value, rest, change) } : target;
}

/**
 * The payload as stored: without `jti` (the id, which the caller gives back
 * on every look-up) for a model whose ids are hashed, and with the fields
 * above sealed, bound to the row (`model:storedId`).
 */
export function toStoredPayload(ids: IdProtection, model: string, id: string, storedId: string, payload: AdapterPayload): string {
  if (!ids.hashes(model)) return JSON.stringify(payload);
  let stored: Json = { ...payload };
  if (stored['jti'] === id) delete stored['jti'];
  const row = `${model}:${storedId}`;
  for (const path of SEALED_FIELDS[model] ?? []) stored = mapAt(stored, path, (value) => ids.seal(value, row));
  // JSON.stringify escapes every control character inside strings and keys
  // (NUL becomes the six characters \u0000) and, being well-formed since
  // ES2019, lone surrogates too: the text is always valid for PostgreSQL.
  return JSON.stringify(stored);
}

/** The payload the caller stored, from its stored text and the id it was found by (undefined: not known, as for a look-up by uid of a row without a sealed id). */
export function fromStoredPayload(ids: IdProtection, model: string, id: string | undefined, storedId: string, text: string): AdapterPayload {
  let payload = JSON.parse(text) as Json;
  if (!ids.hashes(model)) return payload as AdapterPayload;
  const row = `${model}:${storedId}`;
  for (const path of SEALED_FIELDS[model] ?? []) payload = mapAt(payload, path, (value) => ids.open(value, row));
  return (id === undefined || Object.hasOwn(payload, 'jti') ? payload : { ...payload, jti: id }) as AdapterPayload;
}
