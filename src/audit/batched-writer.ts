import type { Knex } from 'knex';
import { auditRow, type AuditEvent } from './audit-log.js';

type AuditRowValues = ReturnType<typeof auditRow>;

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

export interface BatchedAuditWriterOptions {
  /** Longest an event waits before it is written (default 1 s). */
  readonly flushIntervalMs?: number;
  /** Rows per INSERT; a full batch is written at once (default 500). */
  readonly batchSize?: number;
  /** Most events held while the database is slow or down; past it the oldest are dropped and counted (default 20 000). */
  readonly maxQueued?: number;
  readonly onError?: (error: unknown) => void;
  /** Told how many events were dropped because the queue was full. */
  readonly onDropped?: (count: number) => void;
  readonly clock?: () => number;
}

/**
 * Writes high-volume audit events (one per token request) off the request
 * path: `add` only queues; a timer writes the queue in multi-row INSERTs.
 * Issuance never waits on the audit table, and thousands of tokens a second
 * cost a few statements a second. If the database is down, events wait in
 * a bounded queue and are retried; only past `maxQueued` are the oldest
 * dropped (and counted), so an outage cannot exhaust memory.
 */
export class BatchedAuditWriter {
  readonly #queue: AuditRowValues[] = [];
  readonly #timer: NodeJS.Timeout;
  readonly #batchSize: number;
  readonly #maxQueued: number;
  #writing: Promise<void> | undefined;
  #stopped = false;

  constructor(
    private readonly knex: Knex,
    private readonly options: BatchedAuditWriterOptions = {},
  ) {
    this.#batchSize = options.batchSize ?? 500;
    this.#maxQueued = options.maxQueued ?? 20_000;
    this.#timer = setInterval(() => void this.flush(), options.flushIntervalMs ?? 1_000);
    this.#timer.unref();
  }

  /** Queues one event; never throws, never waits. */
  add(event: AuditEvent): void {
    if (this.#stopped) return;
    this.#queue.push(auditRow(event, (this.options.clock ?? Date.now)()));
    if (this.#queue.length > this.#maxQueued) {
      const dropped = this.#queue.length - this.#maxQueued;
      this.#queue.splice(0, dropped);
      this.options.onDropped?.(dropped);
    }
    if (this.#queue.length >= this.#batchSize) void this.flush();
  }

  /** Writes everything queued so far; resolves when written or when the failure was reported. */
  flush(): Promise<void> {
    this.#writing ??= this.#drain().finally(() => {
      this.#writing = undefined;
    });
    return this.#writing;
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.slice(0, this.#batchSize);
      try {
        const { sql, bindings } = insertOf(batch);
        await this.knex.raw(sql, bindings);
      } catch (error) {
        // Kept for the next tick: an outage delays events, it does not lose them.
        this.options.onError?.(error);
        return;
      }
      this.#queue.splice(0, batch.length);
    }
  }

  /** Stops the timer and writes what is queued (before the database closes). */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
    this.#stopped = true;
  }

  get queued(): number {
    return this.#queue.length;
  }
}
