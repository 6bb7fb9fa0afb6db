import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

/** SQLite's companions of a database file in WAL mode. */
const COMPANIONS = ['-wal', '-shm'];

/**
 * Makes a SQLite database file private before SQLite opens it: its
 * directory is created 0700, the file itself 0600 (SQLite creates `-wal`
 * and `-shm` with the database file's permissions, so they follow), and
 * files left readable by an earlier version are narrowed to 0600. The
 * database holds sessions, grants and sealed keys: no other local user
 * should read it, as none may read the `secret` file beside it.
 */
export function preparePrivateSqliteFile(filename: string): void {
  mkdirSync(dirname(filename), { recursive: true, mode: 0o700 });
  closeSync(openSync(filename, 'a', 0o600));
  for (const path of [filename, ...COMPANIONS.map((suffix) => `${filename}${suffix}`)]) {
    if (existsSync(path)) chmodSync(path, 0o600);
  }
}
