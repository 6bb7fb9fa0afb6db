import { after, before, beforeEach } from 'node:test';
import type { Knex } from 'knex';
import { migrate, openDatabase, type Database, type DatabaseKind } from '../../adapters/database.js';
import { createKnexAdapter, OIDC_MODELS_TABLE, type KnexAdapterOptions, type OidcModelRow } from '../../adapters/knex-adapter.js';
import { createIdProtection } from '../../adapters/stored-ids.js';
import type { Adapter } from 'oidc-provider';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';

/** 2026-01-01T00:00:00Z, a whole second, so epoch-second arithmetic in tests is exact. */
export const START_MS = Date.UTC(2026, 0, 1);
export const START_S = START_MS / 1000;

/** The id protection every adapter test uses (one fixed secret). */
export const TEST_IDS = createIdProtection(['adapter-test-secret-0123456789abcdef']);

/** A stored row with its times as numbers, whichever database it came from. */
export type StoredRow = Omit<OidcModelRow, 'expires_at' | 'consumed_at'> & { expires_at: number | null; consumed_at: number | null };

export interface AdapterFixture {
  readonly knex: Knex;
  /** The injectable clock (milliseconds); every test starts at START_MS. */
  readonly clock: () => number;
  advance(seconds: number): void;
  /** Every stored row, ordered by model then id, with times as numbers on both databases. */
  rows(): Promise<StoredRow[]>;
  /** The row of `id` (a clear id, as the adapter is given it). */
  row(model: string, id: string): Promise<StoredRow | undefined>;
  /** An adapter over this database with the fixture's clock and TEST_IDS. */
  adapterFor(model: string, options?: Partial<KnexAdapterOptions>): Adapter;
  /** How `id` is stored for `model`. */
  storedId(model: string, id: string): string;
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
      const row = await fixture.knex<OidcModelRow>(OIDC_MODELS_TABLE).where({ model, id: TEST_IDS.storedId(model, id) }).first();
      return row && normalise(row);
    },
    adapterFor: (model, options = {}) => createKnexAdapter(fixture.knex, { clock: fixture.clock, ids: TEST_IDS, ...options })(model),
    storedId: (model, id) => TEST_IDS.storedId(model, id),
  };
  return fixture;
}
