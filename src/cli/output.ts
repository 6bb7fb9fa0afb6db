import { invalidRequest } from '../errors.js';
import { writeLine, type CliIo } from './io.js';
import { snakeCaseKeys } from './snake-case.js';

export type Output = object | readonly object[];

/** How a command's result is printed: chosen by the global flags, shaped by the command's definition. */
export interface PrintOptions {
  readonly json: boolean;
  readonly fields: string | undefined;
  /** A list's table columns for people; every field when not given. */
  readonly columns: readonly string[] | undefined;
}

/** Times are epoch ms in JSON (for scripts) and ISO 8601 in tables (for people). */
const isTime = (column: string) => /(_at|_after)$/.test(column) || column === 'at';

function cell(value: unknown, column = ''): string {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'number' && isTime(column)) return new Date(value).toISOString().replace(/\.\d{3}Z$/, 'Z');
  if (Array.isArray(value)) return value.join(' ') || '-';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

type Row = Readonly<Record<string, unknown>>;

/** Shorter headings for long field names, so that a table fits a terminal. */
const HEADINGS: Readonly<Record<string, string>> = {
  tenant_slug: 'tenant',
  token_endpoint_auth_method: 'auth',
  token_format: 'format',
};

function table(rows: readonly Row[], columns: readonly string[]): string {
  if (!rows.length) return '(none)';
  const headings = columns.map((column) => HEADINGS[column] ?? column);
  const cells = rows.map((row) => columns.map((column) => cell(row[column], column)));
  const widths = headings.map((heading, i) => Math.max(heading.length, ...cells.map((line) => line[i]!.length)));
  const format = (line: readonly string[]) => line.map((value, i) => value.padEnd(widths[i]!)).join('  ').trimEnd();
  return [format(headings), ...cells.map(format)].join('\n');
}

/**
 * `--fields a,b`: only those fields' values, tab-separated, one line per
 * object, so a shell can capture them (`read -r ID SECRET <<< "$(…)"`).
 */
function fieldValues(rows: readonly Row[], fields: readonly string[]): string {
  return rows.map((row) => fields.map((field) => {
    if (!(field in row)) throw invalidRequest(`--fields: no field "${field}" (fields: ${Object.keys(row).join(', ')})`);
    const value = row[field];
    return value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  }).join('\t')).join('\n');
}

const isRow = (value: unknown): value is Row => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Every result is an object or a list of objects; snake_case from here on. */
function rowsOf(result: Output): Row[] {
  const presented = snakeCaseKeys(result);
  return (Array.isArray(presented) ? presented : [presented]).filter(isRow);
}

/**
 * `--json` prints every field as JSON; `--fields` named values for shell
 * scripts; otherwise a table of a list's main columns, or `key  value` lines.
 */
export function print(result: Output, options: PrintOptions, stdout: CliIo['stdout']): void {
  const rows = rowsOf(result);
  if (options.fields !== undefined) {
    const output = fieldValues(rows, options.fields.split(',').map((field) => field.trim()).filter(Boolean));
    if (output) writeLine(stdout, output);
  } else if (options.json) {
    writeLine(stdout, JSON.stringify(Array.isArray(result) ? rows : rows[0], null, 2));
  } else if (Array.isArray(result)) {
    writeLine(stdout, table(rows, options.columns ?? Object.keys(rows[0] ?? {})));
  } else {
    const entries = Object.entries(rows[0] ?? {});
    const width = Math.max(...entries.map(([key]) => key.length));
    writeLine(stdout, entries.map(([key, value]) => `${key.padEnd(width)}  ${cell(value, key)}`).join('\n'));
  }
}
