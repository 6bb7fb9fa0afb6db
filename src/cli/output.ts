import { invalidRequest } from '../errors.js';

export type Output = object | readonly object[];

/** Times are epoch ms in JSON (for scripts) and ISO 8601 in tables (for people). */
const isTime = (column: string) => /(At|_at|After)$/.test(column) || column === 'at';

function cell(value: unknown, column = ''): string {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'number' && isTime(column)) return new Date(value).toISOString().replace(/\.\d{3}Z$/, 'Z');
  if (Array.isArray(value)) return value.join(' ') || '-';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function table(rows: readonly object[]): string {
  if (!rows.length) return '(none)';
  const columns = Object.keys(rows[0]!);
  const cells = rows.map((row) => columns.map((column) => cell((row as Record<string, unknown>)[column], column)));
  const widths = columns.map((column, i) => Math.max(column.length, ...cells.map((line) => line[i]!.length)));
  const format = (line: readonly string[]) => line.map((value, i) => value.padEnd(widths[i]!)).join('  ').trimEnd();
  return [format(columns), ...cells.map(format)].join('\n');
}

/**
 * `--fields a,b`: only those fields' values, tab-separated, one line per
 * object, so a shell can capture them (`read -r ID SECRET <<< "$(…)"`).
 */
function fieldValues(result: Output, fields: readonly string[]): string {
  const rows: readonly object[] = Array.isArray(result) ? result : [result];
  return rows.map((row) => fields.map((field) => {
    if (!(field in row)) throw invalidRequest(`--fields: no field "${field}" (fields: ${Object.keys(row).join(', ')})`);
    const value = (row as Record<string, unknown>)[field];
    return value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  }).join('\t')).join('\n');
}

/**
 * `--json` prints machine-readable JSON; `--fields` named values for shell
 * scripts; otherwise a table or `key: value` lines.
 */
export function print(result: Output, json: boolean, fields?: string): void {
  if (fields !== undefined) {
    const output = fieldValues(result, fields.split(',').map((field) => field.trim()).filter(Boolean));
    if (output) console.log(output);
  } else if (json) {
    console.log(JSON.stringify(result, null, 2));
  } else if (Array.isArray(result)) {
    console.log(table(result));
  } else {
    const entries = Object.entries(result);
    const width = Math.max(...entries.map(([key]) => key.length));
    console.log(entries.map(([key, value]) => `${key.padEnd(width)}  ${cell(value, key)}`).join('\n'));
  }
}
