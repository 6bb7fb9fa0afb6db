import type { Knex } from 'knex';
import type { VerifiedCredentialCache } from '../registry/credential-cache.js';
import { REGISTRY_CACHE_TTL_MS, type Registry } from '../registry/index.js';
import type { ApiKeyEventListener } from './events.js';
import { LastUsedRecorder } from './last-used.js';
import { ApiKeyRepository } from './repository.js';
import { ApiKeyVerifier } from './verifier.js';

export { parseDuration } from './duration.js';
export type { ApiKeyEvent, ApiKeyEventListener, ApiKeyFailureReason } from './events.js';
export {
  API_KEY_ENVIRONMENTS,
  API_KEY_MAX_LENGTH,
  API_KEY_PREFIX,
  formatApiKey,
  generateApiKey,
  looksLikeApiKey,
  parseApiKey,
  type ApiKeyEnvironment,
  type ParsedApiKey,
} from './format.js';
export { LAST_USED_RESOLUTION_MS, LastUsedRecorder, type LastUsedRecorderOptions } from './last-used.js';
export {
  DEFAULT_EXPIRES_IN_SECONDS,
  type ApiKeyRecord,
  type ApiKeyStatus,
  type ApiKeyView,
  type CreateApiKeyInput,
  type RotateApiKeyOptions,
} from './records.js';
export { ApiKeyRepository, type ApiKeyChangeOptions, type ApiKeyRepositoryOptions, type IssuedApiKey } from './repository.js';
export { ApiKeyVerifier, type ApiKeyLookup, type ApiKeyVerification, type ApiKeyVerifierOptions } from './verifier.js';

/** The API-key module as the server wires it. */
export interface ApiKeys {
  readonly keys: ApiKeyRepository;
  readonly verifier: ApiKeyVerifier;
}

export interface ApiKeysOptions {
  credentials: VerifiedCredentialCache;
  /** Bound on how stale a verification read may be after another process's change; REGISTRY_CACHE_TTL_MS (1 s) by default. */
  cacheTtlMs?: number;
  flushIntervalMs?: number;
  clock?: () => number;
  onEvent?: ApiKeyEventListener;
  /** A failed last-used flush (the uses are retried). */
  onFlushError?: (error: unknown) => void;
}

/**
 * Builds the repository and the verifier over one database; call
 * `verifier.stop()` at shutdown to write pending last-used times.
 * @example
 * const apiKeys = createApiKeys(knex, registry, { credentials, onEvent });
 * const { key } = await apiKeys.keys.create({ tenant: 'acme', name: 'billing export', resources: ['https://billing.acme.test'], scopes: ['invoices:read'] });
 */
export function createApiKeys(knex: Knex, registry: Pick<Registry, 'tenants' | 'resources'>, options: ApiKeysOptions): ApiKeys {
  const { clock, onEvent } = options;
  const keys = new ApiKeyRepository(knex, registry, { cacheTtlMs: options.cacheTtlMs ?? REGISTRY_CACHE_TTL_MS, clock, onEvent });
  const lastUsed = new LastUsedRecorder(knex, { flushIntervalMs: options.flushIntervalMs, clock, onError: options.onFlushError });
  const verifier = new ApiKeyVerifier(keys, { credentials: options.credentials, lastUsed, clock, onEvent });
  return { keys, verifier };
}
