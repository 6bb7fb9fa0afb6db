import type { KeyBackend } from '../../keys/backend.js';
import { databaseBackend } from '../../keys/database-backend.js';
import type { Config } from '../config.js';
import { OutageLog } from '../lifecycle/outage-log.js';
import type { Logger } from '../logger.js';

/**
 * The key backend TOLLGATE_KEY_BACKEND names. With pkcs11 the token is
 * opened and logged in to now, so a wrong module, token or PIN stops
 * start-up (and every CLI key command) with one line naming the setting.
 */
export async function openKeyBackend(config: Config, logger?: Logger): Promise<KeyBackend> {
  if (config.keyBackend.kind === 'database') return databaseBackend;
  // Loaded only here: a deployment without an HSM never loads the native binding.
  const { openPkcs11Backend } = await import('../../keys/pkcs11-backend.js');
  // An outage is a few lines (unavailable, still unavailable, available again), not one per failed signature.
  return openPkcs11Backend(config.keyBackend.token, logger ? { availability: new OutageLog(logger, 'signing module') } : {});
}
