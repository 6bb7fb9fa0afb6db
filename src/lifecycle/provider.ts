import { createKnexAdapter } from '../../adapters/knex-adapter.js';
import { createIdProtection } from '../../adapters/stored-ids.js';
import { createApiKeys, type ApiKeys } from '../api-keys/index.js';
import { auditApiKeyVerificationFailures } from '../audit/api-key-events.js';
import { auditTokenOutcomes } from '../audit/token-events.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { createMetrics, type Metrics } from '../metrics/index.js';
import { createApiKeyIntrospector } from '../provider/api-key-introspection.js';
import { fanOut } from '../provider/endpoint-outcome.js';
import { ProviderHost } from '../provider/provider-host.js';
import { createRateLimits, type RateLimits } from '../rate-limit/index.js';
import { VerifiedCredentialCache } from '../registry/credential-cache.js';
import type { Cleanups } from './cleanups.js';
import type { Storage } from './storage.js';

/** The token side of an instance: oidc-provider in its host, and what it calls on every request. */
export interface ProviderParts {
  readonly providerHost: ProviderHost;
  readonly apiKeys: ApiKeys;
  readonly rateLimits: RateLimits;
  /** Undefined with TOLLGATE_METRICS=off. */
  readonly metrics: Metrics | undefined;
}

/** Credential cache, API keys, metrics and rate limits, then the provider host that uses them. */
export async function createProviderParts(config: Config, logger: Logger, storage: Storage, cleanups: Cleanups, clock?: () => number): Promise<ProviderParts> {
  const { database, keyStore, registry, users, audit, auditBatches } = storage;
  const credentials = new VerifiedCredentialCache(config.secrets[0]!, { ttlSeconds: config.credentialCacheTtlSeconds });
  const apiKeys = createApiKeys(database.knex, registry, {
    credentials,
    onEvent: auditApiKeyVerificationFailures(audit, 'server'),
    onFlushError: (error) => logger.warn('api key last-used update failed', { error: (error as Error)?.message }),
  });
  cleanups.add(() => apiKeys.verifier.stop());
  const metrics = config.metrics.enabled
    ? createMetrics({
        knex: database.knex,
        keys: keyStore,
        token: config.metrics.token,
        ...(clock ? { clock } : {}),
        onCollectError: (error) => logger.warn('metrics: signing keys not read', { error: (error as Error)?.message }),
      })
    : undefined;

  // Before the provider: it charges token quotas through these counters.
  const rateLimits = createRateLimits({
    settings: config.rateLimits,
    redisUrl: config.redisUrl,
    onError: (error) => logger.warn('rate limits: Redis unavailable', { whenRedisDown: config.rateLimits.whenRedisDown, error: (error as Error)?.message }),
  });
  cleanups.add(() => rateLimits.close());

  const providerHost = await ProviderHost.create(
    {
      config,
      registry,
      credentials,
      tokenQuotas: rateLimits.tokenQuotas,
      users,
      createModelAdapter: createKnexAdapter(database.knex, {
        ids: createIdProtection(config.secrets),
        refreshRetryGraceSeconds: config.refreshRetryGraceSeconds,
        ...(clock ? { clock } : {}),
      }),
      apiKeys: createApiKeyIntrospector(apiKeys.verifier, config.issuer),
      ...(config.auditTokenEvents === 'off' ? {} : { recordEndpointOutcome: auditTokenOutcomes((event) => auditBatches.write(event), config.auditTokenEvents) }),
      onEndpointOutcome: fanOut(metrics?.onEndpointOutcome),
    },
    keyStore,
  );
  cleanups.add(() => providerHost.stop());
  return { providerHost, apiKeys, rateLimits, metrics };
}
