import type { Config } from './config.js';

export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

const LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;

/**
 * JSON lines on stdout. Fields are plain scalars chosen at each call site:
 * there is no way to pass a request, a header map or a body, which is how no
 * secret, token or Authorization header ever reaches a log line.
 */
export function createLogger(level: Config['logLevel'], write: (line: string) => void = (line) => process.stdout.write(line)): Logger {
  const threshold = LEVELS.indexOf(level);
  const log = (at: (typeof LEVELS)[number]) => (message: string, fields?: LogFields) => {
    if (LEVELS.indexOf(at) < threshold) return;
    write(`${JSON.stringify({ time: new Date().toISOString(), level: at, message, ...fields })}\n`);
  };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}
