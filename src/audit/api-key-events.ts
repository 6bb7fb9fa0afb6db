import type { ApiKeyEvent, ApiKeyEventListener } from '../api-keys/index.js';
import type { AuditLog } from './audit-log.js';

/**
 * API-key events → audit rows. Failed verifications are recorded only for a
 * well-formed key with a known id (revoked, expired, wrong secret): those
 * already paid an argon2 check, so a flood of junk keys cannot turn into a
 * flood of audit writes.
 */
export function auditApiKeyEvents(audit: AuditLog, actor: string): ApiKeyEventListener {
  return (event: ApiKeyEvent) => {
    switch (event.type) {
      case 'api_key.created':
        void audit.record({
          type: event.type,
          actor: event.actor ?? actor,
          tenantId: event.tenantId,
          subject: event.apiKeyId,
          detail: { resources: event.resources.join(' '), scopes: event.scopes.join(' ') },
        });
        break;
      case 'api_key.rotated':
        void audit.record({
          type: event.type,
          actor: event.actor ?? actor,
          tenantId: event.tenantId,
          subject: event.apiKeyId,
          detail: { replaced_by: event.replacedBy, overlap_seconds: event.overlapSeconds },
        });
        break;
      case 'api_key.revoked':
        void audit.record({ type: event.type, actor: event.actor ?? actor, tenantId: event.tenantId, subject: event.apiKeyId });
        break;
      case 'api_key.verification_failed':
        if (event.apiKeyId && event.reason !== 'unknown' && event.reason !== 'malformed') {
          void audit.record({ type: event.type, actor, tenantId: event.tenantId ?? null, subject: event.apiKeyId, detail: { reason: event.reason } });
        }
        break;
    }
  };
}
