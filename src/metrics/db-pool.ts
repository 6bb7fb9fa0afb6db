import type { Knex } from 'knex';
import { Gauge, type Registry } from 'prom-client';

/** The part of knex's tarn pool the gauge reads (tarn's Pool). */
interface TarnPool {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
}

/**
 * `tollgate_db_pool_connections{state}`: connections in use, idle, and
 * requests waiting for one. Waiting requests climbing while `used` sits at
 * the pool's maximum is the sign the pool, not the database, is the limit.
 * Read at scrape time from memory; never touches the database.
 */
export function registerDatabasePool(registry: Registry, knex: Knex): void {
  new Gauge({
    name: 'tollgate_db_pool_connections',
    help: 'Database pool connections: used, free, and pending (requests waiting for a connection)',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      // knex creates the pool lazily and drops it on destroy().
      const pool = (knex.client as { pool?: TarnPool | null }).pool;
      this.set({ state: 'used' }, pool?.numUsed() ?? 0);
      this.set({ state: 'free' }, pool?.numFree() ?? 0);
      this.set({ state: 'pending' }, pool?.numPendingAcquires() ?? 0);
    },
  });
}
