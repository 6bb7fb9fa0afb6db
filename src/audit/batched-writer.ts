import type { Knex } from 'knex';
import { auditRow, type AuditEvent } from './audit-log.js';
import { insertAuditRows, type AuditRowValues } from './insert-rows.js';

export interface BatchedAuditWriterOptions {
  /** Most rows in one INSERT (default 500); more waiting events take further statements. */
  readonly batchSize?: number;
  /** Told when the database refused a row for its values (the row was written as `audit.row_rejected`). */
  readonly onRejected?: (error: unknown) => void;
  /** Told when a batch could not be written because the database is unavailable (its writers were rejected). */
  readonly onError?: (error: unknown) => void;
  readonly clock?: () => number;
}

interface Waiting {
  readonly row: AuditRowValues;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Durable audit events at a few statements a second, by group commit:
 * `write` resolves only once its event is committed, and every event
 * written while a statement is on its way (or in the same turn of the event
 * loop) goes into the next multi-row INSERT, so a thousand concurrent token
 * requests share a handful of commits instead of paying one each.
 *
 * Nothing is held in memory beyond the statement being written: when the
 * database is unavailable the writers of that batch are rejected at once
 * (the token endpoint turns that into 503), so a crash or an outage can
 * lose no event whose answer was sent.
 */
export class BatchedAuditWriter {
  readonly #queue: Waiting[] = [];
  readonly #batchSize: number;
  #writing: Promise<void> | undefined;
  #stopped = false;

  constructor(
    private readonly knex: Knex,
    private readonly options: BatchedAuditWriterOptions = {},
  ) {
    this.#batchSize = options.batchSize ?? 500;
  }

  /**
   * Resolves once `event` is committed (or, when the database refused its
   * values, its `audit.row_rejected` stand-in); rejects when it cannot be
   * (database unavailable, or the writer stopped).
   */
  write(event: AuditEvent): Promise<void> {
    if (this.#stopped) return Promise.reject(new Error('the audit writer is stopped'));
    const row = auditRow(event, (this.options.clock ?? Date.now)());
    return new Promise((resolve, reject) => {
      this.#queue.push({ row, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#writing) return;
    // One turn of the event loop first: requests answered in the same turn share the statement.
    this.#writing = new Promise<void>((next) => setImmediate(next))
      .then(() => this.#drain())
      .finally(() => {
        this.#writing = undefined;
        // Written between the drain's last look at the queue and now.
        if (this.#queue.length > 0) this.#schedule();
      });
  }

  /** Resolves once every event written so far is committed or its writer was rejected. */
  async flush(): Promise<void> {
    while (this.#writing) await this.#writing;
  }

  /** Refuses new events and waits for those already written (before the database closes). */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.flush();
  }

  /** Events waiting for their statement. */
  get queued(): number {
    return this.#queue.length;
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#batchSize);
      try {
        await insertAuditRows(this.knex, batch.map((waiting) => waiting.row), this.options.onRejected);
        for (const waiting of batch) waiting.resolve();
      } catch (error) {
        this.options.onError?.(error);
        for (const waiting of batch) waiting.reject(error);
      }
    }
  }
}
