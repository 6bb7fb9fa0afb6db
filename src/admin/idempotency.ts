import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { Sealer } from '../../keys/seal.js';
import { conflict, invalidRequest } from '../errors.js';

/** How long a key answers retries (Stripe keeps them 24 hours). */
const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;

/** Printable ASCII, as an HTTP header carries it; a UUID is the usual choice. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

const TABLE = 'admin_idempotency_keys';

export interface IdempotencyScope {
  /** The admin client calling: two callers never share a key. */
  readonly caller: string;
  /** `POST /clients`: the same key on another route is another request. */
  readonly route: string;
  readonly key: string;
}

export interface StoredResponse {
  readonly status: number;
  readonly body: unknown;
}

interface IdempotencyRow {
  caller: string;
  route: string;
  key: string;
  request_hash: string;
  status: number | null;
  response: string | null;
  created_at: number;
  expires_at: number;
}

const hashOf = (body: unknown) => createHash('sha256').update(JSON.stringify(body ?? null)).digest('hex');
const aadOf = (scope: IdempotencyScope) => `tollgate/admin-idempotency/${scope.caller}/${scope.route}/${scope.key}`;

/**
 * `Idempotency-Key` for admin API creates, as Stripe does it: the first
 * request with a key runs and its response is kept; a retry with the same
 * key and body gets that response again instead of a second object; the
 * same key with another body is refused (409). The stored response is
 * sealed with TOLLGATE_SECRET (AES-256-GCM, bound to caller, route and key)
 * because a create returns a secret that must never sit in the database in
 * the clear; a retry therefore returns the same secret, like the first answer.
 */
export class IdempotencyStore {
  constructor(
    private readonly knex: Knex,
    private readonly sealer: Sealer,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Runs `work` once per key; reports whether the answer is a replay. */
  async run(scope: IdempotencyScope, body: unknown, work: () => Promise<StoredResponse>): Promise<StoredResponse & { replayed: boolean }> {
    if (!IDEMPOTENCY_KEY.test(scope.key)) throw invalidRequest('Idempotency-Key must be 1 to 255 printable ASCII characters');
    const where = { caller: scope.caller.slice(0, 200), route: scope.route, key: scope.key };
    const requestHash = hashOf(body);
    const now = this.clock();
    await this.knex(TABLE).where(where).andWhere('expires_at', '<=', now).delete();
    try {
      const row: IdempotencyRow = { ...where, request_hash: requestHash, status: null, response: null, created_at: now, expires_at: now + IDEMPOTENCY_TTL_MS };
      await this.knex(TABLE).insert(row);
    } catch (error) {
      const existing: IdempotencyRow | undefined = await this.knex(TABLE).where(where).first();
      if (!existing) throw error;
      return { ...this.#replay(scope, existing, requestHash), replayed: true };
    }
    let response: StoredResponse;
    try {
      response = await work();
    } catch (error) {
      // A refused or failed create created nothing: let the retry run again.
      await this.knex(TABLE).where(where).delete();
      throw error;
    }
    await this.knex(TABLE)
      .where(where)
      .update({ status: response.status, response: this.sealer.seal(JSON.stringify(response.body), aadOf(scope)) });
    return { ...response, replayed: false };
  }

  #replay(scope: IdempotencyScope, row: IdempotencyRow, requestHash: string): StoredResponse {
    if (row.request_hash !== requestHash) throw conflict('this Idempotency-Key was already used with a different request body');
    if (row.response === null || row.status === null) throw conflict('a request with this Idempotency-Key is still being processed; retry later');
    return { status: row.status, body: JSON.parse(this.sealer.open(row.response, aadOf(scope))) as unknown };
  }

  /** Drops keys past their lifetime (called from the admin API's own timer). */
  async sweep(): Promise<number> {
    return this.knex(TABLE).where('expires_at', '<=', this.clock()).delete();
  }
}
