import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { migrate, openDatabase } from '../../adapters/database.js';
import { fileSecretSource } from '../../src/dev-secret.js';

const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);

async function withTempDir(use: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-modes-'));
  try {
    await use(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the SQLite directory is created 0700, and the database with its -wal and -shm files 0600', { skip: process.platform === 'win32' }, () =>
  withTempDir(async (dir) => {
    const dataDir = join(dir, 'data');
    const file = join(dataDir, 'tollgate.sqlite');
    const database = openDatabase(`sqlite:${file}`);
    try {
      await migrate(database);
      await database.knex('oidc_models').insert({ model: 'Grant', id: 'g', payload: '{}' });
      assert.deepEqual(
        { dir: modeOf(dataDir), file: modeOf(file), wal: modeOf(`${file}-wal`), shm: modeOf(`${file}-shm`) },
        { dir: '700', file: '600', wal: '600', shm: '600' },
      );
    } finally {
      await database.close();
    }
  }));

test('a database file an earlier version left readable by others is narrowed to 0600 when opened', { skip: process.platform === 'win32' }, () =>
  withTempDir(async (dir) => {
    const file = join(dir, 'tollgate.sqlite');
    writeFileSync(file, '', { mode: 0o644 });
    writeFileSync(`${file}-wal`, '', { mode: 0o644 });
    const database = openDatabase(`sqlite:${file}`);
    try {
      await migrate(database);
      assert.equal(modeOf(file), '600');
      assert.equal(modeOf(`${file}-wal`), '600');
    } finally {
      await database.close();
    }
  }));

test('the development data directory is created 0700 and its secret file 0600', { skip: process.platform === 'win32' }, () =>
  withTempDir(async (dir) => {
    const dataDir = join(dir, 'data');
    fileSecretSource.developmentSecret(dataDir);
    assert.equal(modeOf(dataDir), '700');
    assert.equal(modeOf(join(dataDir, 'secret')), '600');
  }));
