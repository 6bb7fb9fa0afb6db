import { initSoftHsmToken, softhsmInstalled } from '../softhsm-token.js';
import type { Contender } from './measure.js';

/**
 * ES256 issuance with the key sealed in the database next to the same with
 * the key in a fresh SoftHSM token, loaded side by side so the machine's
 * drift touches both alike; undefined without SoftHSM. `remove` deletes the
 * token once measured.
 */
export function keyBackendContenders(database: Record<string, string>): { contenders: Contender[]; remove(): void } | undefined {
  if (!softhsmInstalled()) return undefined;
  const token = initSoftHsmToken('tollgate-bench', '1234');
  return {
    contenders: [
      { scenario: 'tollgate sqlite, ES256 key sealed in the database', kind: 'tollgate', env: database },
      { scenario: 'tollgate sqlite, ES256 key in SoftHSM (PKCS#11)', kind: 'tollgate', env: { ...database, ...token.env } },
    ],
    remove: () => token.remove(),
  };
}
