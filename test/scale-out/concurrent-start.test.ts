import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { openDatabase, type Database } from '../../adapters/database.js';
import { loadConfig } from '../../src/config.js';
import { prepareStorage } from '../../src/lifecycle/prepare-storage.js';
import { createTestDatabase, databaseVariants, type TestDatabase } from '../helpers/databases.js';
import { silentLogger } from '../helpers/server.js';

const postgres = databaseVariants.find((variant) => variant.kind === 'postgres')!;

describe('replicas preparing one fresh PostgreSQL database at once', { skip: postgres.skip }, () => {
  let database: TestDatabase;
  let connections: Database[] = [];

  before(async () => {
    database = await createTestDatabase('postgres');
  });
  after(async () => {
    await Promise.all(connections.map((connection) => connection.close()));
    await database?.drop();
  });

  test('six processes migrate and create the first keys together: every one succeeds, one active and one next key', async () => {
    const config = loadConfig({ DATABASE_URL: database.url, TOLLGATE_SECRET: randomBytes(32).toString('base64url') }, { developmentSecret: () => '' });
    // A pool each, as separate processes have: the race is between connections.
    connections = Array.from({ length: 6 }, () => openDatabase(database.url));
    const results = await Promise.allSettled(connections.map((connection) => prepareStorage(connection, config, silentLogger)));
    assert.deepEqual(results.filter((result) => result.status === 'rejected').map((result) => String((result as PromiseRejectedResult).reason)), []);
    const states = await connections[0]!.knex('signing_keys').pluck('state');
    assert.deepEqual(states.sort(), ['active', 'next']);
  });
});
