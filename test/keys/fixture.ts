import { randomBytes } from 'node:crypto';
import type { Database } from '../../adapters/database.js';
import type { JWK } from 'jose';
import { KeyStore, type KeyStoreOptions, type SigningKey } from '../../keys/key-store.js';
import type { SigningKeyRow } from '../../keys/signing-keys-table.js';
import { createSealer } from '../../keys/seal.js';
import { MigratedDatabaseFixture } from '../helpers/migrated-database.js';

export const RETIRE_AFTER_MS = 20 * 60_000;
export const START = Date.UTC(2025, 0, 1);

export const newSecret = (): string => randomBytes(32).toString('base64url');

/** The private JWKs of keys the database backend loaded (a key in a token has none to give). */
export function privateJwks(keys: readonly SigningKey[]): JWK[] {
  return keys.map((key) => {
    if (key.kind !== 'jwk') throw new Error(`signing key ${key.kid} is held outside the process`);
    return key.jwk;
  });
}

/** One migrated database per suite, emptied before each test, with a clock tests move by hand. */
export class KeyStoreFixture extends MigratedDatabaseFixture {
  readonly clock = { now: START };
  readonly secret = newSecret();

  async reset(): Promise<void> {
    this.clock.now = START;
    await this.database.knex('signing_keys').delete();
  }

  keyStore(options: Partial<KeyStoreOptions> & { secrets?: string[]; database?: Database } = {}): KeyStore {
    const { secrets = [this.secret], database = this.database, ...rest } = options;
    return new KeyStore(database.knex, createSealer(secrets), {
      retireAfterMs: RETIRE_AFTER_MS,
      clock: () => this.clock.now,
      ...rest,
    });
  }

  async rows(): Promise<SigningKeyRow[]> {
    return this.database.knex<SigningKeyRow>('signing_keys').orderBy('created_at').orderBy('kid');
  }

  async row(kid: string): Promise<SigningKeyRow> {
    const row = await this.database.knex<SigningKeyRow>('signing_keys').where({ kid }).first();
    if (!row) throw new Error(`no row for ${kid}`);
    return row;
  }

  async kidsIn(state: string): Promise<string[]> {
    return this.database.knex('signing_keys').where({ state }).orderBy('kid').pluck('kid');
  }
}
