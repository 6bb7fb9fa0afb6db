import { BaseError } from '../../errors/base-error.js';

/**
 * Why `serve` could not start, in one line that names the thing to fix (the
 * database file, the database host, the port). The CLI prints the message
 * alone; the original error stays the `cause` (its stack is printed with
 * LOG_LEVEL=debug).
 */
export class StartupError extends BaseError<'ERR_STARTUP'> {
  override readonly name: string = 'StartupError';

  constructor(message: string, options: { cause?: unknown } = {}) {
    super('ERR_STARTUP', message, options);
  }
}

const codeOf = (error: unknown) => (error as { code?: unknown } | undefined)?.code;
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** `host:port` of a PostgreSQL URL, never its user or password. */
export function databaseAddress(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl.replace(/^[a-z]+:/, 'postgres:'));
    return `${url.hostname || 'localhost'}:${url.port || '5432'}`;
  } catch {
    return 'the configured address';
  }
}

/** The SQLite file named by a `sqlite:` URL, as an absolute path. */
export function sqlitePath(databaseUrl: string, resolvePath: (file: string) => string): string | undefined {
  if (!databaseUrl.startsWith('sqlite:')) return undefined;
  return resolvePath(databaseUrl.slice('sqlite:'.length));
}

/** Errors of a PostgreSQL that is not (yet) there: worth waiting for at start-up. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', '57P03']);

/** True when the database may simply not be up yet (refused, unreachable, still starting, timed out). */
export function isDatabaseUnreachable(error: unknown): boolean {
  const code = codeOf(error);
  if (typeof code === 'string' && UNREACHABLE.has(code)) return true;
  const name = (error as { name?: unknown } | undefined)?.name;
  // knex's pool timeout, and pg's "Connection terminated" (no code) while a server starts or stops.
  return name === 'KnexTimeoutError' || /Connection terminated|timeout/i.test(messageOf(error));
}

/** The first connection to the database failed: one line naming the file or the host. */
export function databaseStartupError(error: unknown, databaseUrl: string, absolute: (file: string) => string): StartupError {
  const file = sqlitePath(databaseUrl, absolute);
  const reason = typeof codeOf(error) === 'string' ? `${messageOf(error)} (${String(codeOf(error))})` : messageOf(error);
  if (file !== undefined) return new StartupError(`cannot open the SQLite database ${file}: ${reason}`, { cause: error });
  return new StartupError(`database at ${databaseAddress(databaseUrl)} refused the connection: ${reason}`, { cause: error });
}

/** `listen` failed: which port on which address, and why in words. */
export function listenStartupError(error: unknown, host: string, port: number, setting = 'PORT'): StartupError {
  const code = codeOf(error);
  const where = `port ${port} on ${host}`;
  if (code === 'EADDRINUSE') return new StartupError(`${where} is already in use (EADDRINUSE): stop what listens there or change ${setting}`, { cause: error });
  if (code === 'EACCES') return new StartupError(`not allowed to listen on ${where} (EACCES): use a port above 1023 or grant the capability`, { cause: error });
  if (code === 'EADDRNOTAVAIL') return new StartupError(`cannot listen on ${where}: no such address on this machine (EADDRNOTAVAIL); check HOST`, { cause: error });
  return new StartupError(`cannot listen on ${where}: ${messageOf(error)}`, { cause: error });
}
