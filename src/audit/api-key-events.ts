import type { ApiKeyEvent, ApiKeyEventListener } from '../api-keys/index.js';
import type { AuditEvent } from './audit-log.js';
import type { AuditLog } from './audit-log.js';

/**
 * An API-key event as its audit row; `actor` names who acted when the event
 * does not. Failed verifications are recorded only for a well-formed key
 * with a known id (revoked, expired, wrong secret): those already paid an
 * argon2 check, so a flood of junk keys cannot turn into a flood of audit
 * writes.
 */
export function apiKeyAuditEvent(event: ApiKeyEvent, actor: string): AuditEvent | undefined {
  switch (event.type) {
    case 'api_key.created':
      return {
        type: event.type,
        actor: event.actor ?? actor,
        tenantId: event.tenantId,
        subject: event.apiKeyId,
        detail: { resources: event.resources.join(' '), scopes: event.scopes.join(' ') },
      };
    case 'api_key.rotated':
      return {
        type: event.type,
        actor: event.actor ?? actor,
        tenantId: event.tenantId,
        subject: event.apiKeyId,
        detail: { replaced_by: event.replacedBy, overlap_seconds: event.overlapSeconds },
      };
    case 'api_key.revoked':
      return { type: event.type, actor: event.actor ?? actor, tenantId: event.tenantId, subject: event.apiKeyId };
    case 'api_key.verification_failed':
      if (!event.apiKeyId || event.reason === 'unknown' || event.reason === 'malformed') return undefined;
      return { type: event.type, actor, tenantId: event.tenantId ?? null, subject: event.apiKeyId, detail: { reason: event.reason } };
  }
}

/**
 * The server's listener: failed verifications only. Creation, rotation and
 * revocation are recorded by the API-key service (src/services) in the
 * change's own transaction.
 */
export function auditApiKeyVerificationFailures(audit: AuditLog, actor: string): ApiKeyEventListener {
  return (event: ApiKeyEvent) => {
    if (event.type !== 'api_key.verification_failed') return;
    const row = apiKeyAuditEvent(event, actor);
    if (row) void audit.record(row);
  };
}
