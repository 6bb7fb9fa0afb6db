import type { KeyBackend } from '../../keys/backend.js';
import { databaseBackend } from '../../keys/database-backend.js';
import type { Config } from '../config.js';

/**
 * The key backend TOLLGATE_KEY_BACKEND names. With pkcs11 the token is
 * opened and logged in to now, so a wrong module, token or PIN stops
 * start-up (and every CLI key command) with one line naming the setting.
 */
export async function openKeyBackend(config: Config): Promise<KeyBackend> {
  if (config.keyBackend.kind === 'database') return databaseBackend;
  // Loaded only here: a deployment without an HSM never loads the native binding.
  const { openPkcs11Backend } = await import('../../keys/pkcs11-backend.js');
  return openPkcs11Backend(config.keyBackend.token);
}
