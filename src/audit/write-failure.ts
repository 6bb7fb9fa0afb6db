import pg from 'pg';

/**
 * PostgreSQL SQLSTATE classes that blame the values of a row: 22 (data
 * exception: invalid byte sequence, value too long, out of range) and 23
 * (integrity constraint violation, including a trigger's check_violation).
 */
const POSTGRES_ROW_CLASSES: ReadonlySet<string> = new Set(['22', '23']);

/** SQLite result codes that blame the values of a row (a trigger's RAISE(ABORT) is SQLITE_CONSTRAINT_TRIGGER). */
const SQLITE_ROW_CODES = /^SQLITE_(CONSTRAINT|TOOBIG|MISMATCH|RANGE)(_|$)/;

/**
 * True when the database refused an INSERT because of what a row holds, so
 * the same rows would be refused again however often they were retried.
 * Everything else — connection errors, timeouts, a missing table, a full
 * disk, a locked file — is the database being unavailable: the rows are
 * fine and may be retried. Decided by error class and code, never by message.
 */
export function isRowRejection(error: unknown): boolean {
  if (error instanceof pg.DatabaseError) return typeof error.code === 'string' && POSTGRES_ROW_CLASSES.has(error.code.slice(0, 2));
  const { name, code } = (error ?? {}) as { name?: unknown; code?: unknown };
  return name === 'SqliteError' && typeof code === 'string' && SQLITE_ROW_CODES.test(code);
}

/** The database's error code, the only part of a refusal that is recorded (a message may quote the value). */
export function rejectionCode(error: unknown): string {
  const { code } = (error ?? {}) as { code?: unknown };
  return typeof code === 'string' ? code : 'unknown';
}
