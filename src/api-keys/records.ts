import type { JSONSchemaType } from 'ajv';
import { invalidRequest } from '../errors.js';
import { compileInput, parseList, SCOPE_TOKEN } from '../registry/input.js';
import { parseDuration } from './duration.js';
import { API_KEY_ENVIRONMENTS, type ApiKeyEnvironment } from './format.js';

/** A key's lifetime when the operator does not choose one: "never" must be asked for. */
export const DEFAULT_EXPIRES_IN_SECONDS = 90 * 86_400;
const MIN_EXPIRES_IN_SECONDS = 60;
const MAX_EXPIRES_IN_SECONDS = 10 * 365 * 86_400;
const MAX_OVERLAP_SECONDS = 365 * 86_400;

export type ApiKeyStatus = 'active' | 'revoked' | 'expired';

/** An API key as stored, with its hash: only verification needs this shape. */
export interface ApiKeyRecord {
  id: string;
  tenantId: string;
  tenantSlug: string;
  env: ApiKeyEnvironment;
  name: string;
  scopes: string[];
  /** The audiences (resource servers) the key is for: its introspection answer's `aud`. */
  resources: string[];
  secretHash: string;
  createdBy: string | null;
  /** Epoch ms. */
  createdAt: number;
  /** Epoch ms, or null for a key that never expires. */
  expiresAt: number | null;
  revokedAt: number | null;
  /** Epoch ms, updated at most once a minute (see LastUsedRecorder). */
  lastUsedAt: number | null;
  rotatedAt: number | null;
  /** The key that replaced this one in a rotation. */
  replacedBy: string | null;
}

/** What reads show an operator: everything but the hash (the key itself is never stored). */
export type ApiKeyView = Omit<ApiKeyRecord, 'secretHash'> & { status: ApiKeyStatus };

/** The `api_keys` table row (migration 004). */
export interface ApiKeyRow {
  id: string;
  tenant_id: string;
  env: string;
  name: string;
  scopes: string;
  /** JSON list of audiences (migration 011). */
  resources: string;
  secret_hash: string;
  created_by: string | null;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
  rotated_at: number | null;
  replaced_by: string | null;
}

/** A row joined with its tenant's slug → the record verification reads. */
export const toRecord = (row: ApiKeyRow & { tenant_slug: string }): ApiKeyRecord => ({
  id: row.id,
  tenantId: row.tenant_id,
  tenantSlug: row.tenant_slug,
  env: row.env as ApiKeyEnvironment,
  name: row.name,
  scopes: parseList(row.scopes),
  resources: parseList(row.resources),
  secretHash: row.secret_hash,
  createdBy: row.created_by,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  revokedAt: row.revoked_at,
  lastUsedAt: row.last_used_at,
  rotatedAt: row.rotated_at,
  replacedBy: row.replaced_by,
});

/** A record → the row to insert (the tenant slug lives in `tenants`). */
export const toRow = (record: ApiKeyRecord): ApiKeyRow => ({
  id: record.id,
  tenant_id: record.tenantId,
  env: record.env,
  name: record.name,
  scopes: JSON.stringify(record.scopes),
  resources: JSON.stringify(record.resources),
  secret_hash: record.secretHash,
  created_by: record.createdBy,
  created_at: record.createdAt,
  expires_at: record.expiresAt,
  revoked_at: record.revokedAt,
  last_used_at: record.lastUsedAt,
  rotated_at: record.rotatedAt,
  replaced_by: record.replacedBy,
});

/** Revocation wins over expiry; an expiry at exactly `now` has passed. */
export function statusAt(key: Pick<ApiKeyRecord, 'revokedAt' | 'expiresAt'>, now: number): ApiKeyStatus {
  if (key.revokedAt !== null) return 'revoked';
  if (key.expiresAt !== null && key.expiresAt <= now) return 'expired';
  return 'active';
}

/** The operator's view of a key at `now`: no hash, plus its status. */
export function toView(record: ApiKeyRecord, now: number): ApiKeyView {
  const { secretHash: _hidden, ...view } = record;
  return { ...view, status: statusAt(record, now) };
}

/** What `create` accepts (CLI today, admin API later). */
export interface CreateApiKeyInput {
  /** Tenant slug or id. */
  tenant: string;
  name: string;
  /** The resource servers (audiences) the key is for: ones its tenant owns or was shared. */
  resources: string[];
  /** Scopes offered by those resource servers. */
  scopes: string[];
  /**
   * `'90d'`, `'12h'`, `'30m'`, `'45s'`, `'3600'` (seconds) or `'never'`; 90
   * days when absent. A string only, as operators type it: one form to
   * validate, whether it comes from the CLI or JSON.
   */
  expiresIn?: string;
  env?: ApiKeyEnvironment;
  /** Who asked for the key (operator name, admin subject), for the listing and audit. */
  createdBy?: string;
}

export interface RotateApiKeyOptions {
  /** Seconds the old key keeps working after the rotation (0: it stops at once). */
  overlap: number;
}

/** `create` input: a write allow-list (unknown fields are refused with invalid_request). */
export const validateCreateInput = compileInput<CreateApiKeyInput>({
  type: 'object',
  properties: {
    tenant: { type: 'string', minLength: 1, maxLength: 64 },
    name: { type: 'string', minLength: 1, maxLength: 200 },
    resources: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 2000 }, minItems: 1, uniqueItems: true, maxItems: 50 },
    scopes: { type: 'array', items: { type: 'string', pattern: SCOPE_TOKEN }, uniqueItems: true, maxItems: 200 },
    // Checked by parseDuration, whose message names the accepted forms.
    expiresIn: { type: 'string', maxLength: 16, nullable: true },
    env: { type: 'string', enum: [...API_KEY_ENVIRONMENTS], nullable: true },
    createdBy: { type: 'string', minLength: 1, maxLength: 200, nullable: true },
  },
  required: ['tenant', 'name', 'resources', 'scopes'],
  additionalProperties: false,
} satisfies JSONSchemaType<CreateApiKeyInput>);

/** `rotate` options: a write allow-list. */
export const validateRotateOptions = compileInput<RotateApiKeyOptions>({
  type: 'object',
  properties: { overlap: { type: 'integer', minimum: 0, maximum: MAX_OVERLAP_SECONDS } },
  required: ['overlap'],
  additionalProperties: false,
} satisfies JSONSchemaType<RotateApiKeyOptions>);

/** Seconds until expiry, or null for "never"; bounded so no key is accidentally eternal or instantly dead. */
export function expiresInSeconds(expiresIn: string | null | undefined): number | null {
  // Absent and JSON null both mean "the default": a key that never expires
  // needs the explicit word.
  if (expiresIn === undefined || expiresIn === null) return DEFAULT_EXPIRES_IN_SECONDS;
  const seconds = parseDuration(expiresIn, 'expiresIn');
  if (seconds === null) return null;
  if (seconds < MIN_EXPIRES_IN_SECONDS || seconds > MAX_EXPIRES_IN_SECONDS) {
    throw invalidRequest(`expiresIn must be between ${MIN_EXPIRES_IN_SECONDS} seconds and ${MAX_EXPIRES_IN_SECONDS / 86_400} days, or never`);
  }
  return seconds;
}
