import { randomBytes } from 'node:crypto';
import type { Database } from '../../adapters/database.js';
import type { ApiKeyEvent } from '../../src/api-keys/events.js';
import { LastUsedRecorder } from '../../src/api-keys/last-used.js';
import type { ApiKeyRow } from '../../src/api-keys/records.js';
import { ApiKeyRepository } from '../../src/api-keys/repository.js';
import { ApiKeyVerifier } from '../../src/api-keys/verifier.js';
import { VerifiedCredentialCache } from '../../src/registry/credential-cache.js';
import { ResourceRepository } from '../../src/registry/resources.js';
import { TenantRepository, type Tenant } from '../../src/registry/tenants.js';
import { MigratedDatabaseFixture } from '../helpers/migrated-database.js';

export const START = Date.UTC(2025, 0, 1);
export const CACHE_TTL_MS = 1_000;
export const DAY_MS = 86_400_000;
/** The resource server the suites' keys are for: acme's, shared with globex. */
export const API = 'https://api.keys.test';

/** Tenants and resource servers over one database, uncached, as an API-key repository needs them. */
export function registryOf(database: Database): { tenants: TenantRepository; resources: ResourceRepository } {
  const tenants = new TenantRepository(database.knex);
  return { tenants, resources: new ResourceRepository(database.knex, tenants, { cacheTtlMs: 0 }) };
}

/** One process's view of the module: its own caches and last-used recorder. */
export interface ApiKeyProcess {
  keys: ApiKeyRepository;
  verifier: ApiKeyVerifier;
  lastUsed: LastUsedRecorder;
  events: ApiKeyEvent[];
  database: Database;
}

/** One migrated database per suite with two tenants, emptied of keys before each test; a clock tests move by hand. */
export class ApiKeyFixture extends MigratedDatabaseFixture {
  readonly clock = { now: START };
  readonly #secret = randomBytes(32).toString('base64url');
  #processes: ApiKeyProcess[] = [];
  acme!: Tenant;
  globex!: Tenant;

  override async open(): Promise<void> {
    await super.open();
    const tenants = new TenantRepository(this.database.knex);
    this.acme = await tenants.create({ slug: 'acme', name: 'Acme' });
    this.globex = await tenants.create({ slug: 'globex', name: 'Globex' });
    await registryOf(this.database).resources.create({
      audience: API, tenant: 'acme', shared_with: ['globex'], scopes: ['invoices:read', 'invoices:write', 'read', 'a', 'b'],
    });
  }

  async reset(): Promise<void> {
    await Promise.all(this.#processes.map((process) => process.verifier.stop()));
    this.#processes = [];
    this.clock.now = START;
    await this.database.knex('api_keys').delete();
  }

  override async close(): Promise<void> {
    await Promise.all(this.#processes.map((process) => process.verifier.stop()));
    await super.close();
  }

  /** Repository + verifier as the server builds them; last-used times are written only when a test flushes. */
  process(database: Database = this.database): ApiKeyProcess {
    const clock = () => this.clock.now;
    const events: ApiKeyEvent[] = [];
    const onEvent = (event: ApiKeyEvent) => events.push(event);
    const keys = new ApiKeyRepository(database.knex, registryOf(database), { cacheTtlMs: CACHE_TTL_MS, clock, onEvent });
    const lastUsed = new LastUsedRecorder(database.knex, { flushIntervalMs: 3_600_000, clock });
    const credentials = new VerifiedCredentialCache(this.#secret, { ttlSeconds: 300, clock });
    const verifier = new ApiKeyVerifier(keys, { credentials, lastUsed, clock, onEvent });
    const process = { keys, verifier, lastUsed, events, database };
    this.#processes.push(process);
    return process;
  }

  async rows(): Promise<ApiKeyRow[]> {
    return this.database.knex<ApiKeyRow>('api_keys').orderBy('created_at').orderBy('id');
  }

  async row(id: string): Promise<ApiKeyRow> {
    const row = await this.database.knex<ApiKeyRow>('api_keys').where({ id }).first();
    if (!row) throw new Error(`no row for ${id}`);
    return row;
  }

  /** Counts the SQL statements a piece of work sends (knex's query event). */
  async countQueries<T>(work: () => Promise<T>, database: Database = this.database): Promise<{ result: T; queries: string[] }> {
    const queries: string[] = [];
    const listener = (query: { sql: string }) => queries.push(query.sql);
    database.knex.on('query', listener);
    try {
      return { result: await work(), queries };
    } finally {
      database.knex.off('query', listener);
    }
  }
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Milliseconds each run of `work` took, one after another. */
export async function timings(runs: number, work: () => Promise<unknown>): Promise<number[]> {
  const durations: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    const started = process.hrtime.bigint();
    await work();
    durations.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return durations;
}
