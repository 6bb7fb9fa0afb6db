import type { Knex } from 'knex';
import { epochSeconds, OIDC_MODELS_TABLE, type Clock } from './knex-adapter.js';

export interface SweeperOptions {
  /** Pause between the end of one sweep and the start of the next. */
  readonly intervalMs: number;
  /** Rows deleted per statement. */
  readonly batchSize: number;
  /** Milliseconds since the epoch; defaults to `Date.now`. */
  readonly clock?: Clock;
  /** Told about a failed timed sweep; by default a process warning with the error's message only. */
  readonly onError?: (error: unknown) => void;
  /** Audit events older than this many milliseconds are deleted too; omitted: kept forever. */
  readonly auditRetentionMs?: number | undefined;
}

export interface Sweeper {
  /** Deletes every row expired now, batch after batch; resolves to how many were deleted. */
  sweepOnce(): Promise<number>;
  /** Cancels the timer and waits for a sweep in progress, so the caller may close the database next. */
  stop(): Promise<void>;
}

function warn(error: unknown): void {
  // Sweep statements bind only a timestamp and a limit, so the message holds
  // nothing secret; the full error object is left to an explicit onError.
  process.emitWarning(`oidc_models sweep failed: ${error instanceof Error ? error.message : String(error)}`);
}

/**
 * Deletes expired oidc-provider rows (`expires_at` before now), and audit
 * events past their retention, every
 * `intervalMs`, at most `batchSize` rows per statement, so a backlog never
 * becomes one long lock or one huge transaction. `find` already hides expired
 * rows; sweeping only keeps the table small. The timer is unref'd (it never
 * keeps the process alive), sweeps never overlap, and a failure goes to
 * `onError` and is retried on the next tick instead of escaping the timer.
 *
 * @example
 * ```ts
 * const sweeper = startSweeper(database.knex, { intervalMs: 60_000, batchSize: 500, onError: (e) => logger.warn('sweep failed') });
 * // on shutdown
 * await sweeper.stop();
 * await database.close();
 * ```
 */
export function startSweeper(knex: Knex, options: SweeperOptions): Sweeper {
  const { intervalMs, batchSize } = options;
  if (!Number.isInteger(intervalMs) || intervalMs <= 0) throw new RangeError('sweeper intervalMs must be a positive integer');
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new RangeError('sweeper batchSize must be a positive integer');
  const clock = options.clock ?? Date.now;
  const onError = options.onError ?? warn;
  let stopped = false;
  let running: Promise<number> | undefined;
  let timer: NodeJS.Timeout | undefined;

  /**
   * Deletes the rows of `table` whose `column` is below `before`, `batchSize`
   * keys per statement, until a batch comes back short or the sweeper stops.
   * A row-value IN over a limited subquery is the one batched DELETE that
   * SQLite (without its LIMIT-on-DELETE build option) and PostgreSQL share.
   */
  async function deleteOlder(table: string, keys: string[], column: string, before: number): Promise<number> {
    let total = 0;
    for (;;) {
      const batch = knex(table).select(...keys).where(column, '<', before).limit(batchSize);
      const deleted = await (keys.length === 1 ? knex(table).whereIn(keys[0]!, batch) : knex(table).whereIn(keys, batch)).delete();
      total += deleted;
      if (deleted < batchSize || stopped) return total;
    }
  }

  async function deleteBatches(): Promise<number> {
    let total = await deleteOlder(OIDC_MODELS_TABLE, ['model', 'id'], 'expires_at', epochSeconds(clock));
    // The audit log is append-only for callers; only its retention deletes.
    if (options.auditRetentionMs !== undefined) total += await deleteOlder('audit_events', ['id'], 'at', clock() - options.auditRetentionMs);
    return total;
  }

  function sweepOnce(): Promise<number> {
    running ??= deleteBatches().finally(() => {
      running = undefined;
    });
    return running;
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      sweepOnce()
        .catch((error: unknown) => {
          try {
            onError(error);
          } catch {
            // A throwing error handler must not become an unhandled rejection.
          }
        })
        .finally(schedule);
    }, intervalMs);
    timer.unref();
  }

  schedule();
  return {
    sweepOnce,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running?.catch(() => undefined);
    },
  };
}
