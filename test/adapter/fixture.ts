import { after, before, beforeEach } from 'node:test';
import type { Knex } from 'knex';
import { migrate, openDatabase, type Database, type DatabaseKind } from '../../adapters/database.js';
import { OIDC_MODELS_TABLE, type OidcModelRow } from '../../adapters/knex-adapter.js';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';

/** 2026-01-01T00:00:00Z, a whole second, so epoch-second arithmetic in tests is exact. */
export const START_MS = Date.UTC(2026, 0, 1);
export const START_S = START_MS / 1000;

/** A stored row with its times as numbers, whichever database it came from. */
export type StoredRow = Omit<OidcModelRow, 'expires_at' | 'consumed_at'> & { expires_at: number | null; consumed_at: number | null };

export interface AdapterFixture {
  readonly knex: Knex;
  /** The injectable clock (milliseconds); every test starts at START_MS. */
  readonly clock: () => number;
  advance(seconds: number): void;
  /** Every stored row, ordered by model then id, with times as numbers on both databases. */
  rows(): Promise<StoredRow[]>;
  row(model: string, id: string): Promise<StoredRow | undefined>;
}

function normalise(row: OidcModelRow): StoredRow {
  return {
    ...row,
    expires_at: row.expires_at === null ? null : Number(row.expires_at),
    consumed_at: row.consumed_at === null ? null : Number(row.consumed_at),
  };
}

/**
 * Registers hooks giving the enclosing describe a freshly migrated database
 * of the given kind (its own, dropped afterwards), an empty `oidc_models`
 * table before each test, and a clock reset to START_MS.
 */
export function useAdapterDatabase(kind: DatabaseKind): AdapterFixture {
  let testDatabase: TestDatabase | undefined;
  let database: Database | undefined;
  let nowMs = START_MS;

  before(async () => {
    testDatabase = await createTestDatabase(kind);
    database = openDatabase(testDatabase.url);
    await migrate(database);
  });
  after(async () => {
    await database?.close();
    await testDatabase?.drop();
  });
  beforeEach(async () => {
    nowMs = START_MS;
    await fixture.knex(OIDC_MODELS_TABLE).delete();
  });

  const fixture: AdapterFixture = {
    get knex() {
      if (!database) throw new Error('the database is opened in before()');
      return database.knex;
    },
    clock: () => nowMs,
    advance(seconds) {
      nowMs += seconds * 1000;
    },
    async rows() {
      const rows = await fixture.knex<OidcModelRow>(OIDC_MODELS_TABLE).select('*').orderBy(['model', 'id']);
      return rows.map(normalise);
    },
    async row(model, id) {
      const row = await fixture.knex<OidcModelRow>(OIDC_MODELS_TABLE).where({ model, id }).first();
      return row && normalise(row);
    },
  };
  return fixture;
}
