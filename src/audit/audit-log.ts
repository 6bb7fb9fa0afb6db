import type { Knex } from 'knex';

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
  | 'tenant.updated'
  | 'api_key.created'
  | 'api_key.rotated'
  | 'api_key.revoked'
  | 'api_key.verification_failed';

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

/**
 * The append-only audit log. Writes never fail the operation they describe:
 * `record` reports its own failure to `onError` (the logger) instead.
 */
export class AuditLog {
  readonly #pending = new Set<Promise<void>>();

  constructor(
    private readonly knex: Knex,
    private readonly options: { onError?: (error: unknown) => void; clock?: () => number } = {},
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
      await this.knex('audit_events').insert({
        at: (this.options.clock ?? Date.now)(),
        type: event.type,
        actor: event.actor,
        tenant_id: event.tenantId ?? null,
        subject: event.subject ?? null,
        detail: event.detail ? JSON.stringify(event.detail) : null,
      });
    } catch (error) {
      this.options.onError?.(error);
    }
  }

  /** Newest first; `type` may be a family prefix such as `key.`. */
  async list(filter: { type?: string; tenantId?: string; limit?: number } = {}): Promise<StoredAuditEvent[]> {
    const query = this.knex<AuditRow>('audit_events').orderBy('id', 'desc').limit(Math.min(filter.limit ?? 100, 1000));
    if (filter.type) {
      if (filter.type.endsWith('.')) query.where('type', 'like', `${filter.type}%`);
      else query.where('type', filter.type);
    }
    if (filter.tenantId) query.where('tenant_id', filter.tenantId);
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
