import { destination, pino, stdTimeFunctions } from 'pino';
import type { Config } from './config.js';

export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/**
 * Field names pino censors if one is ever logged. The first defence is the
 * interface: fields are plain scalars chosen at each call site, so there is
 * no way to pass a request, a header map or a body; this list is the second.
 */
export const REDACTED_FIELDS = [
  'authorization',
  'cookie',
  'client_secret',
  'clientSecret',
  'secret',
  'password',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'client_assertion',
  'api_key',
  'key',
] as const;

/**
 * JSON lines (pino) on stdout, or to `write` (tests capture lines with it):
 * `{"level":"info","time":"…","message":"request","requestId":"…",…}`.
 * `fields` go on every line: in cluster mode the worker id, so lines from
 * processes sharing one stdout can be told apart.
 */
export function createLogger(level: Config['logLevel'], write?: (line: string) => void, fields?: LogFields): Logger {
  const log = pino(
    {
      level,
      base: fields,
      messageKey: 'message',
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: [...REDACTED_FIELDS], censor: '[redacted]' },
    },
    // Synchronous: the last lines before an exit (a failed start-up) are never lost.
    write ? { write } : destination({ dest: 1, sync: true }),
  );
  const at = (method: 'debug' | 'info' | 'warn' | 'error') => (message: string, fields?: LogFields) => {
    if (fields) log[method](fields, message);
    else log[method](message);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
