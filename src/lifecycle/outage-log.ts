import type { DatabaseAvailabilityListener } from '../../adapters/database.js';
import type { Logger } from '../logger.js';

/** How often an outage that goes on is summarised. */
export const OUTAGE_SUMMARY_EVERY_MS = 30_000;
/**
 * A success ends an outage only this long after the last failure: while
 * SQLite's write lock is held elsewhere reads still succeed, and a request
 * that reads, then fails to write, must not end and restart the outage.
 */
export const OUTAGE_QUIET_MS = 1_000;

const errorFields = (error: unknown) => ({
  error: error instanceof Error ? error.name : typeof error,
  code: String((error as { code?: unknown } | null | undefined)?.code ?? '') || undefined,
  detail: error instanceof Error ? error.message : undefined,
});

/**
 * Logs a dependency outage as three kinds of lines instead of one per failed
 * call: `<dependency> unavailable` when the first failure arrives (with that
 * error), `<dependency> still unavailable` at most every `summaryEveryMs`
 * while failures go on (with how many since the last line), and
 * `<dependency> available again` on the first success at least
 * OUTAGE_QUIET_MS after the last failure (with how long it lasted and how
 * many calls failed). A 15 s outage under load is two lines, not thousands.
 */
export class OutageLog implements DatabaseAvailabilityListener {
  readonly #logger: Logger;
  readonly #dependency: string;
  readonly #clock: () => number;
  readonly #summaryEveryMs: number;
  #outage: { startedAt: number; reportedAt: number; lastFailureAt: number; failures: number; sinceReport: number } | undefined;

  constructor(logger: Logger, dependency: string, options: { clock?: () => number; summaryEveryMs?: number } = {}) {
    this.#logger = logger;
    this.#dependency = dependency;
    this.#clock = options.clock ?? Date.now;
    this.#summaryEveryMs = options.summaryEveryMs ?? OUTAGE_SUMMARY_EVERY_MS;
  }

  unavailable(error: unknown): void {
    const now = this.#clock();
    const outage = this.#outage;
    if (!outage) {
      this.#outage = { startedAt: now, reportedAt: now, lastFailureAt: now, failures: 1, sinceReport: 0 };
      this.#logger.error(`${this.#dependency} unavailable`, errorFields(error));
      return;
    }
    outage.failures += 1;
    outage.sinceReport += 1;
    outage.lastFailureAt = now;
    if (now - outage.reportedAt < this.#summaryEveryMs) return;
    this.#logger.error(`${this.#dependency} still unavailable`, {
      forMs: now - outage.startedAt,
      failedCalls: outage.sinceReport,
      ...errorFields(error),
    });
    outage.reportedAt = now;
    outage.sinceReport = 0;
  }

  available(): void {
    const outage = this.#outage;
    if (!outage) return;
    const now = this.#clock();
    if (now - outage.lastFailureAt < OUTAGE_QUIET_MS) return;
    this.#outage = undefined;
    this.#logger.info(`${this.#dependency} available again`, { forMs: now - outage.startedAt, failedCalls: outage.failures });
  }
}
