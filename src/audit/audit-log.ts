import type { Knex } from 'knex';
import { insertAuditRows } from './insert-rows.js';
import { cleanObject, cleanText } from './sanitize.js';

/** What happened; dotted names so a prefix (`key.`, `client.`) selects a family. */
export type AuditEventType =
  | 'key.rotated'
  | 'key.revoked'
  | 'key.retired'
  | 'key.resealed'
  | 'client.created'
  | 'client.disabled'
  | 'client.enabled'
  | 'client.secret_rotated'
  | 'client.tokens_revoked'
  | 'client.updated'
  | 'tenant.created'
  | 'tenant.updated'
  | 'resource.created'
  | 'resource.shared'
  | 'api_key.created'
  | 'api_key.rotated'
  | 'api_key.revoked'
  | 'api_key.verification_failed'
  | 'token.issued'
  | 'token.refused'
  | 'client.authentication_failed'
  | 'user.created'
  | 'user.disabled'
  | 'user.enabled'
  | 'user.password_set'
  /** An event the database refused to store, reduced to its type and the database's error code. */
  | 'audit.row_rejected';

export type AuditDetail = Record<string, string | number | boolean | null>;

export interface AuditEvent {
  type: AuditEventType;
  /** Who did it: `cli`, `server` (schedules), or a client id. */
  actor: string;
  tenantId?: string | null;
  /** The object acted on: a kid, a client id, an API key id. */
  subject?: string | null;
  detail?: AuditDetail;
}

export interface StoredAuditEvent extends Required<Omit<AuditEvent, 'detail'>> {
  id: number;
  at: number;
  detail: AuditDetail | null;
}

interface AuditRow {
  id: number;
  at: number;
  type: AuditEventType;
  actor: string;
  tenant_id: string | null;
  subject: string | null;
  detail: string | null;
}

export interface AuditFilter {
  /** An event type, or a family prefix ending in `.` (`key.`, `token.`). */
  type?: string;
  tenantId?: string;
  /** The object acted on: a client id, kid or API key id. */
  subject?: string;
  limit?: number;
}

/** Column lengths of `audit_events` (migration 005). */
const ACTOR_LENGTH = 200;
const TENANT_ID_LENGTH = 64;
const SUBJECT_LENGTH = 200;

/**
 * One event as its `audit_events` row, every value cleaned (sanitize.ts):
 * an unauthenticated caller chooses the client id it names, the grant type
 * and more, and no value may make the database refuse the row.
 */
export function auditRow(event: AuditEvent, at: number): Omit<AuditRow, 'id'> {
  return {
    at,
    type: event.type,
    actor: cleanText(event.actor, ACTOR_LENGTH),
    tenant_id: event.tenantId == null ? null : cleanText(event.tenantId, TENANT_ID_LENGTH),
    subject: event.subject == null ? null : cleanText(event.subject, SUBJECT_LENGTH),
    detail: event.detail ? JSON.stringify(cleanObject(event.detail)) : null,
  };
}

/**
 * The append-only audit log. Writes never fail the operation they describe:
 * `record` reports its own failure to `onError` (the logger) instead.
 */
export class AuditLog {
  readonly #pending = new Set<Promise<void>>();

  constructor(
    private readonly knex: Knex,
    private readonly options: { onError?: (error: unknown) => void; onRejected?: (error: unknown) => void; clock?: () => number } = {},
  ) {}

  /** Resolves once written (or once the failure was reported); callers may also fire and forget. */
  record(event: AuditEvent): Promise<void> {
    const write = this.#write(event).finally(() => this.#pending.delete(write));
    this.#pending.add(write);
    return write;
  }

  /** Waits for every write started so far: before a CLI exits or the database closes. */
  async settled(): Promise<void> {
    await Promise.all([...this.#pending]);
  }

  async #write(event: AuditEvent): Promise<void> {
    try {
      await insertAuditRows(this.knex, [auditRow(event, (this.options.clock ?? Date.now)())], this.options.onRejected);
    } catch (error) {
      this.options.onError?.(error);
    }
  }

  /**
   * Newest first; `type` may be a family prefix such as `key.`. With
   * `afterId`, the events after that id instead, oldest first (for `tail --follow`);
   * with `beforeId`, the page of older events after a cursor (admin API).
   */
  async list(filter: AuditFilter & { afterId?: number; beforeId?: number } = {}): Promise<StoredAuditEvent[]> {
    const limit = Math.min(filter.limit ?? 100, 1000);
    const query = this.knex<AuditRow>('audit_events').limit(limit);
    if (filter.afterId !== undefined) query.where('id', '>', filter.afterId).orderBy('id', 'asc');
    else query.orderBy('id', 'desc');
    if (filter.beforeId !== undefined) query.where('id', '<', filter.beforeId);
    if (filter.type) {
      if (filter.type.endsWith('.')) query.where('type', 'like', `${filter.type}%`);
      else query.where('type', filter.type);
    }
    if (filter.tenantId) query.where('tenant_id', filter.tenantId);
    if (filter.subject) query.where('subject', filter.subject);
    const rows = await query;
    return rows.map((row) => ({
      id: Number(row.id),
      at: row.at,
      type: row.type,
      actor: row.actor,
      tenantId: row.tenant_id,
      subject: row.subject,
      detail: row.detail ? (JSON.parse(row.detail) as AuditDetail) : null,
    }));
  }
}
