import type { AuditLog } from '../audit/audit-log.js';
import { adminActor } from '../services/index.js';
import { changeEvent, type Change } from '../services/audit.js';
import type { AdminCaller } from './auth.js';

/**
 * A signing-key change made through the admin API, recorded after the key
 * store committed it (the key store keeps its own lock and transaction):
 * the same event the services write for every other change.
 */
export function recordAdminChange(audit: AuditLog, caller: AdminCaller, change: Change): Promise<void> {
  return audit.record(changeEvent(adminActor(caller), change));
}
