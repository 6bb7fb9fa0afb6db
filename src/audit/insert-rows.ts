import type { Knex } from 'knex';
import type { auditRow } from './audit-log.js';
import { isRowRejection, rejectionCode } from './write-failure.js';

export type AuditRowValues = ReturnType<typeof auditRow>;

/**
 * One multi-row INSERT, written out directly: knex's query builder compiles
 * such an insert value by value, which cost more per token than SQLite's
 * own insert (bench/PROFILE.md). The columns are those `auditRow` writes,
 * so a column added there is never left out here. Plain `?` placeholders
 * work on every dialect knex.raw serves (it numbers them for PostgreSQL).
 */
function insertOf(batch: readonly AuditRowValues[]): { sql: string; bindings: (string | number | null)[] } {
  const columns = Object.keys(batch[0]!) as (keyof AuditRowValues)[];
  const placeholders = `(${columns.map(() => '?').join(', ')})`;
  return {
    sql: `insert into audit_events (${columns.join(', ')}) values ${batch.map(() => placeholders).join(', ')}`,
    bindings: batch.flatMap((row) => columns.map((column) => row[column])),
  };
}

/** What stands in for a row the database refused: its time and type, and the database's error code; none of its values. */
function rejectedRow(row: AuditRowValues, error: unknown): AuditRowValues {
  return {
    at: row.at,
    type: 'audit.row_rejected',
    actor: 'server',
    tenant_id: null,
    subject: null,
    detail: JSON.stringify({ rejected_type: row.type, error_code: rejectionCode(error) }),
  };
}

/**
 * Writes `rows` in one statement. When the database refuses it because of
 * what a row holds (`isRowRejection`), the batch is split in halves until
 * each refused row is alone; that row is written as a redacted
 * `audit.row_rejected` event and `onRejected` is told, so one bad value
 * never holds up the events around it. A refused statement writes nothing
 * (it is atomic on both databases), so no row is written twice. Any other
 * failure means the database is unavailable: it rejects, and the caller
 * decides (the token endpoint answers 503).
 */
export async function insertAuditRows(knex: Knex, rows: readonly AuditRowValues[], onRejected?: (error: unknown) => void): Promise<void> {
  if (rows.length === 0) return;
  const { sql, bindings } = insertOf(rows);
  try {
    await knex.raw(sql, bindings);
  } catch (error) {
    if (!isRowRejection(error)) throw error;
    if (rows.length > 1) {
      const middle = Math.ceil(rows.length / 2);
      await insertAuditRows(knex, rows.slice(0, middle), onRejected);
      await insertAuditRows(knex, rows.slice(middle), onRejected);
      return;
    }
    onRejected?.(error);
    const marker = insertOf([rejectedRow(rows[0]!, error)]);
    await knex.raw(marker.sql, marker.bindings);
  }
}
