import type { EndpointOutcome } from '../provider/endpoint-outcome.js';
import type { AuditDetail, AuditEvent } from './audit-log.js';

/**
 * Token-endpoint outcomes as audit events: `token.issued` and
 * `token.refused` (client, tenant, address, grant type, error and reason;
 * an issued JWT's `jti`, so a received token can be matched to its event),
 * and `client.authentication_failed` for introspection and revocation
 * callers that failed to authenticate. Ids, codes and addresses only: the
 * outcome carries no secret or token to leak.
 *
 * 429s never reach here (the limits answer before the provider runs), so a
 * flood that is being limited does not also become a flood of rows.
 */
export function tokenAuditEvent(outcome: EndpointOutcome, mode: 'all' | 'refused'): AuditEvent | undefined {
  const detail: AuditDetail = { ip: outcome.ip };
  if (outcome.grantType) detail['grant_type'] = outcome.grantType;
  if (outcome.requestId) detail['request_id'] = outcome.requestId;
  if (outcome.tokenId) detail['jti'] = outcome.tokenId;
  const who = { actor: outcome.clientId ?? 'anonymous', tenantId: outcome.tenantId ?? null, subject: outcome.clientId ?? null };
  if (outcome.endpoint === 'token') {
    if (outcome.succeeded) return mode === 'all' ? { type: 'token.issued', ...who, detail } : undefined;
    return {
      type: 'token.refused',
      ...who,
      detail: { ...detail, status: outcome.status, error: outcome.error ?? null, reason: outcome.reason ?? null },
    };
  }
  if (outcome.error === 'invalid_client') {
    return {
      type: 'client.authentication_failed',
      ...who,
      detail: { ...detail, endpoint: outcome.endpoint, reason: outcome.reason ?? null },
    };
  }
  return undefined;
}

/**
 * The recorder the server registers: each outcome's event, resolved once
 * `write` has committed it. The host awaits it before the answer is sent.
 */
export function auditTokenOutcomes(write: (event: AuditEvent) => Promise<void>, mode: 'all' | 'refused'): (outcome: EndpointOutcome) => Promise<void> {
  return async (outcome) => {
    const event = tokenAuditEvent(outcome, mode);
    if (event) await write(event);
  };
}
