import type { Knex } from 'knex';
import { OIDC_MODELS_TABLE } from './knex-adapter.js';

export interface Sweeper {
  /** Deletes expired rows, batch after batch, until none is left; returns how many. */
  sweepOnce(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Deletes expired oidc-provider rows in batches, so one sweep never holds a
 * long lock or a huge transaction. `find` already hides expired rows; this
 * only keeps the table from growing. Failures go to `onError` and the next
 * tick tries again.
 */
export function startSweeper(
  knex: Knex,
  options: { intervalMs: number; batchSize: number; clock?: () => number; onError?: (error: unknown) => void },
): Sweeper {
  const clock = options.clock ?? Date.now;
  let running: Promise<number> | undefined;

  async function sweepBatches(): Promise<number> {
    let total = 0;
    for (;;) {
      const now = Math.floor(clock() / 1000);
      const expired = knex(OIDC_MODELS_TABLE).select('model', 'id').where('expires_at', '<=', now).limit(options.batchSize);
      const deleted = await knex(OIDC_MODELS_TABLE).whereIn(['model', 'id'], expired).delete();
      total += deleted;
      if (deleted < options.batchSize) return total;
    }
  }

  function sweepOnce(): Promise<number> {
    running ??= sweepBatches().finally(() => {
      running = undefined;
    });
    return running;
  }

  const timer = setInterval(() => {
    sweepOnce().catch((error: unknown) => options.onError?.(error));
  }, options.intervalMs);
  timer.unref();

  return {
    sweepOnce,
    async stop() {
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
