import type { Knex } from 'knex';

/** Lifecycle states; `retired` and `revoked` are final and keep no private part. */
export type KeyState = 'next' | 'active' | 'retiring' | 'retired' | 'revoked';

/** States whose keys the provider holds and /jwks publishes, in keystore order. */
export const PUBLISHED_STATES: readonly KeyState[] = ['active', 'next', 'retiring'];

/** The table (adapters/migrations/003-signing-keys.ts). */
export const SIGNING_KEYS_TABLE = 'signing_keys';

/**
 * A `signing_keys` row (adapters/migrations/003-signing-keys.ts); times in
 * epoch ms. `sealed_private` holds, sealed, what the key's backend needs to
 * sign: the private JWK (database backend) or where the token keeps the
 * private key (PKCS#11 backend, see pkcs11-backend.ts).
 */
export interface SigningKeyRow {
  kid: string;
  alg: string;
  state: KeyState;
  public_jwk: string;
  sealed_private: string | null;
  created_at: number;
  activated_at: number | null;
  retiring_at: number | null;
  retire_after: number | null;
  retired_at: number | null;
  revoked_at: number | null;
}

/**
 * Serialises lifecycle transactions across processes. PostgreSQL: a table
 * lock that conflicts only with itself and writers, so reads (current(),
 * /jwks) never wait. SQLite: a write that touches nothing takes the database
 * write lock now, so a second process waits (busy_timeout) instead of failing
 * when its read snapshot turns stale at its first real write.
 */
export async function lockSigningKeys(trx: Knex.Transaction): Promise<void> {
  // knex's CockroachDB client reports dialect 'postgresql'; its driverName tells them apart.
  if (trx.client.driverName === 'cockroachdb') {
    // No LOCK TABLE in CockroachDB: lock the rows instead. A transition that
    // inserts concurrently still conflicts under SERIALIZABLE, is aborted
    // with 40001 and retried by inTransaction; the compare-and-set updates
    // and the partial unique indexes keep a lost race from doing harm.
    await trx.raw(`SELECT kid FROM ${SIGNING_KEYS_TABLE} FOR UPDATE`);
  } else if (trx.client.dialect === 'postgresql') {
    await trx.raw(`LOCK TABLE ${SIGNING_KEYS_TABLE} IN SHARE ROW EXCLUSIVE MODE`);
  } else {
    await trx.raw(`UPDATE ${SIGNING_KEYS_TABLE} SET kid = kid WHERE 0 = 1`);
  }
}
