import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { DatabaseKind } from '../../adapters/database.js';

/**
 * The storage matrix every storage test runs over: SQLite always, PostgreSQL
 * when TEST_DATABASE_URL is set. Each call creates a database of its own and
 * `drop()` removes it, so suites can run in parallel and leave nothing behind.
 */
export interface TestDatabase {
  readonly kind: DatabaseKind;
  readonly url: string;
  drop(): Promise<void>;
}

export interface DatabaseVariant {
  readonly kind: DatabaseKind;
  /** A reason to skip, or false: pass straight to node:test's `skip` option. */
  readonly skip: string | false;
}

const postgresBaseUrl = process.env['TEST_DATABASE_URL'];

export const databaseVariants: readonly DatabaseVariant[] = [
  { kind: 'sqlite', skip: false },
  {
    kind: 'postgres',
    skip: postgresBaseUrl ? false : 'PostgreSQL suite skipped: TEST_DATABASE_URL is not set',
  },
];

export async function createTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-test-'));
    return {
      kind,
      url: `sqlite:${join(dir, 'tollgate.sqlite')}`,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  if (!postgresBaseUrl) throw new Error('TEST_DATABASE_URL is not set');
  const name = `tollgate_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: postgresBaseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(postgresBaseUrl);
  url.pathname = `/${name}`;
  return {
    kind,
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: postgresBaseUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
