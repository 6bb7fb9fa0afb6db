import type { AuditDetail, AuditEventType, AuditLog } from '../audit/audit-log.js';
import type { AdminCaller } from './auth.js';

/**
 * Every change made through the admin API is an audit event whose actor is
 * the admin client that made it; the detail also names the actor's tenant,
 * so a tenant admin's changes can be told from a global admin's.
 */
export function recordAdminChange(
  audit: AuditLog,
  caller: AdminCaller,
  event: { type: AuditEventType; tenantId?: string | null; subject?: string | null; detail?: AuditDetail },
): Promise<void> {
  return audit.record({
    type: event.type,
    actor: caller.clientId,
    tenantId: event.tenantId ?? null,
    subject: event.subject ?? null,
    detail: { ...event.detail, actor_tenant_id: caller.tenantId, via: 'admin_api' },
  });
}
