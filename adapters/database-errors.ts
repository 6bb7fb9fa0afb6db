/**
 * Which database failures mean "the database is unreachable, slow or busy,
 * retry later" (503) rather than "this request or this code is wrong" (500),
 * and how to describe a database error in a log line without the SQL or its
 * values.
 */

/** Socket errors: the server went away, refused, or the network dropped it. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * PostgreSQL SQLSTATEs: connection exceptions (class 08), the server shutting
 * down or starting (57P01–57P03), too many connections (53300), and a
 * statement cancelled by `statement_timeout` (57014).
 */
const POSTGRES_CODES = new Set(['57P01', '57P02', '57P03', '53300', '57014']);
const isConnectionException = (code: string) => code.startsWith('08') && code.length === 5;

/**
 * node-postgres reports these without any code: the socket closed under a
 * query, `query_timeout` expired, `connectionTimeoutMillis` expired, or the
 * client was used after its connection died.
 */
const POSTGRES_MESSAGES = [/^Connection terminated/, /^Query read timeout$/, /^timeout expired$/, /is not queryable$/];

const codeOf = (error: unknown) => {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
};

/** Another connection holds the SQLite write lock (better-sqlite3's code, extended ones included). */
export const isSqliteBusy = (error: unknown) => codeOf(error)?.startsWith('SQLITE_BUSY') ?? false;
const isSqliteLocked = (error: unknown) => codeOf(error)?.startsWith('SQLITE_LOCKED') ?? false;

function unavailableItself(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  // knex: no free connection within acquireConnectionTimeout.
  if (error.name === 'KnexTimeoutError') return true;
  const code = codeOf(error);
  if (code !== undefined) {
    return NETWORK_CODES.has(code) || POSTGRES_CODES.has(code) || isConnectionException(code) || isSqliteBusy(error) || isSqliteLocked(error);
  }
  return POSTGRES_MESSAGES.some((pattern) => pattern.test(error.message));
}

/**
 * True when `error`, or an error it was caused by, says the database (or
 * the way to it) is unavailable for now: the request may succeed if retried.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current !== undefined && depth < 5; current = (current as { cause?: unknown }).cause, depth += 1) {
    if (unavailableItself(current)) return true;
  }
  return false;
}

/**
 * knex prefixes a failed query's message with its SQL (`<sql> - <message>`),
 * and on SQLite with the values bound into it: a token id, a payload. With
 * `compileSqlOnError: false` the prefix is the SQL with placeholders; this
 * removes that too, so no error message that leaves the adapter carries SQL.
 */
export function withoutSql(error: unknown, sql: string): void {
  if (!(error instanceof Error)) return;
  const prefix = `${sql} - `;
  if (error.message.startsWith(prefix)) error.message = error.message.slice(prefix.length);
}
