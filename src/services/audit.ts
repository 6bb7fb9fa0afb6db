import type { Knex } from 'knex';
import { auditRow, type AuditDetail, type AuditEvent, type AuditEventType } from '../audit/audit-log.js';
import type { WithinWrite } from '../registry/within-write.js';
import { actorName, type Actor } from './actor.js';

/** A change as the audit log names it, before the actor is added. */
export interface Change {
  readonly type: AuditEventType;
  readonly tenantId?: string | null;
  readonly subject?: string | null;
  readonly detail?: AuditDetail;
}

/**
 * The audit event of `change` made by `actor`. An admin API change also
 * names the admin client's tenant and the channel in its detail, so a tenant
 * admin's change can be told from a global admin's.
 */
export function changeEvent(actor: Actor, change: Change): AuditEvent {
  const base = { type: change.type, actor: actorName(actor), tenantId: change.tenantId ?? null, subject: change.subject ?? null };
  if (actor.kind === 'cli') return { ...base, ...(change.detail ? { detail: change.detail } : {}) };
  return { ...base, detail: { ...change.detail, actor_tenant_id: actor.tenantId, via: 'admin_api' } };
}

/**
 * Inserts `event` through `db`, the change's own transaction: the row is
 * the one the audit log writes (`auditRow`, every value cleaned by
 * sanitize.ts), but a failure here rolls the change back rather than being
 * reported and forgotten, so no change commits without its event.
 */
export async function insertAuditEvent(db: Knex, event: AuditEvent, clock: () => number): Promise<void> {
  await db('audit_events').insert(auditRow(event, clock()));
}

/** The hook that records what a repository wrote, in the write's transaction (registry/within-write.ts). */
export function audited<T>(actor: Actor, clock: () => number, describe: (written: T) => Change): WithinWrite<T> {
  return (db, written) => insertAuditEvent(db, changeEvent(actor, describe(written)), clock);
}
