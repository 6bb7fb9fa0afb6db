import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { openDatabase, type Database } from '../adapters/database.js';
import { createKnexAdapter } from '../adapters/knex-adapter.js';
import { startSweeper } from '../adapters/sweeper.js';
import { createIdProtection } from '../adapters/stored-ids.js';
import type { KeyStore } from '../keys/key-store.js';
import { createApp } from './app.js';
import { createAdminApi, ensureAdminResource, type AdminApi } from './admin/index.js';
import { listenForAdmin } from './admin/own-port.js';
import { createSealer } from '../keys/seal.js';
import type { Config } from './config.js';
import { createApiKeys, type ApiKeys } from './api-keys/index.js';
import { auditApiKeyEvents } from './audit/api-key-events.js';
import { AuditLog } from './audit/audit-log.js';
import { BatchedAuditWriter } from './audit/batched-writer.js';
import { auditTokenOutcomes } from './audit/token-events.js';
import { fanOut } from './provider/endpoint-outcome.js';
import { announceKeyChange, subscribeToKeyChanges } from './key-change-channel.js';
import { startKeyMaintenance } from './key-maintenance.js';
import { createLogger, type Logger } from './logger.js';
import { createMetrics } from './metrics/index.js';
import { createApiKeyIntrospector } from './provider/api-key-introspection.js';
import { prepareStorage } from './prepare-storage.js';
import { createRateLimits } from './rate-limit/index.js';
import { ProviderHost } from './provider/provider-host.js';
import { createRedisReadinessCheck } from './redis-readiness.js';
import { VerifiedCredentialCache } from './registry/credential-cache.js';
import { createRegistry, type Registry } from './registry/index.js';
import { createInteractions } from './interactions/index.js';
import { UserRepository } from './users/index.js';
import { cookieKeys } from './provider/cookie-keys.js';

/** How often every instance checks the key table for a rotation (the bound: 10 s). */
const KEY_POLL_MS = 5_000;
/** How often every instance retires keys past their window and checks the rotation schedule. */
const KEY_MAINTENANCE_MS = 60_000;
export interface RunningTollgate {
  readonly url: string;
  readonly config: Config;
  readonly database: Database;
  readonly registry: Registry;
  readonly audit: AuditLog;
  /** Token-endpoint events, written in batches; `flush()` in tests to read them at once. */
  readonly auditBatches: BatchedAuditWriter;
  readonly apiKeys: ApiKeys;
  readonly keyStore: KeyStore;
  readonly providerHost: ProviderHost;
  readonly adminApi: AdminApi;
  /** Where /admin/v1 is served: `url`, or its own port with TOLLGATE_ADMIN_PORT. */
  readonly adminUrl: string;
  readonly keyMaintenance: ReturnType<typeof startKeyMaintenance>;
  readonly server: Server;
  close(): Promise<void>;
}

/** config → database → migrations → key store → provider → Koa app → listen. */
export async function startTollgate(
  config: Config,
  options: { logger?: Logger; clock?: () => number } = {},
): Promise<RunningTollgate> {
  const logger = options.logger ?? createLogger(config.logLevel);
  if (config.secretGenerated) {
    logger.warn('TOLLGATE_SECRET is not set: using a generated development secret from the data directory. Set TOLLGATE_SECRET in production.', {
      dataDir: config.dataDir,
    });
  }

  const database = openDatabase(config.databaseUrl, { log: (level, message) => logger[level]('database', { detail: message }) });
  const cleanups: (() => Promise<void> | void)[] = [() => database.close()];
  try {
    const keyStore = await prepareStorage(database, config, logger, options.clock);

    const registry = createRegistry(database.knex);
    await ensureAdminResource(registry);
    const users = new UserRepository(database.knex, registry.tenants);
    const audit = new AuditLog(database.knex, {
      onError: (error) => logger.error('audit event not recorded', { error: (error as Error)?.message }),
    });
    cleanups.push(() => audit.settled());
    // One row per token request: queued here, written in batches off the request path.
    const auditBatches = new BatchedAuditWriter(database.knex, {
      onError: (error) => logger.error('audit events not written yet, will retry', { error: (error as Error)?.message }),
      onDropped: (count) => logger.error('audit events dropped: queue full while the database was unavailable', { count }),
    });
    cleanups.push(() => auditBatches.stop());
    const credentials = new VerifiedCredentialCache(config.secrets[0]!, { ttlSeconds: config.credentialCacheTtlSeconds });
    const apiKeys = createApiKeys(database.knex, registry.tenants, {
      credentials,
      onEvent: auditApiKeyEvents(audit, 'server'),
      onFlushError: (error) => logger.warn('api key last-used update failed', { error: (error as Error)?.message }),
    });
    cleanups.push(() => apiKeys.verifier.stop());
    const metrics = config.metrics.enabled
      ? createMetrics({
          knex: database.knex,
          keys: keyStore,
          token: config.metrics.token,
          ...(options.clock ? { clock: options.clock } : {}),
          onCollectError: (error) => logger.warn('metrics: signing keys not read', { error: (error as Error)?.message }),
        })
      : undefined;

    // Before the provider: it charges token quotas through these counters.
    const rateLimits = createRateLimits({
      settings: config.rateLimits,
      redisUrl: config.redisUrl,
      onError: (error) =>
        logger.warn('rate limits: Redis unavailable', { whenRedisDown: config.rateLimits.whenRedisDown, error: (error as Error)?.message }),
    });
    cleanups.push(() => rateLimits.close());

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
          ...(options.clock ? { clock: options.clock } : {}),
        }),
        apiKeys: createApiKeyIntrospector(apiKeys.verifier, config.issuer),
        onEndpointOutcome: fanOut(
          config.auditTokenEvents === 'off' ? undefined : auditTokenOutcomes((event) => auditBatches.add(event), config.auditTokenEvents),
          metrics?.onEndpointOutcome,
        ),
      },
      keyStore,
    );
    providerHost.watch(KEY_POLL_MS, (error) => logger.error('signing key refresh failed', { error: (error as Error)?.message }));
    cleanups.push(() => providerHost.stop());
    if (config.redisUrl) {
      const subscription = subscribeToKeyChanges(config.redisUrl, () => void providerHost.refresh().catch(() => undefined), logger);
      cleanups.push(() => subscription.close());
    }

    const keyMaintenance = startKeyMaintenance({
      keyStore,
      providerHost,
      logger,
      audit,
      intervalMs: KEY_MAINTENANCE_MS,
      ...(config.keyRotationDays ? { rotationDays: config.keyRotationDays } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
      ...(config.redisUrl ? { announce: () => announceKeyChange(config.redisUrl!) } : {}),
    });
    cleanups.push(() => keyMaintenance.stop());

    const sweeper = startSweeper(database.knex, {
      intervalMs: 60_000,
      batchSize: 500,
      auditRetentionMs: config.auditRetentionDays === undefined ? undefined : config.auditRetentionDays * 86_400_000,
      onError: (error) => logger.warn('expired-row sweep failed', { error: (error as Error)?.message }),
    });
    cleanups.push(() => sweeper.stop());

    const adminApi = createAdminApi({
      knex: database.knex,
      issuer: config.issuer,
      sealer: createSealer(config.secrets),
      verifyAccessToken: (token) => providerHost.verifyAccessToken(token),
      registry,
      apiKeys: apiKeys.keys,
      keyStore,
      audit,
      users,
      keysChanged: async () => {
        await providerHost.refresh();
        return config.redisUrl ? announceKeyChange(config.redisUrl) : false;
      },
      onSweepError: (error) => logger.warn('expired idempotency-key sweep failed', { error: (error as Error)?.message }),
    });
    cleanups.push(() => adminApi.stop());

    const redisReadiness = config.redisUrl ? createRedisReadinessCheck(config.redisUrl) : undefined;
    if (redisReadiness) cleanups.push(() => redisReadiness.close());

    const checks = {
      checkDatabase: async () => {
        await database.knex.raw('select 1');
      },
      ...(redisReadiness ? { checkRedis: () => redisReadiness.check() } : {}),
    };
    const adminListener = config.adminPort === undefined ? undefined : await listenForAdmin({ config, logger, ...checks }, adminApi.middleware, config.adminPort);
    if (adminListener) cleanups.push(() => adminListener.close());
    const app = createApp({
      config,
      logger,
      rateLimits: rateLimits.middleware,
      provider: providerHost.middleware(),
      ...(adminListener ? {} : { admin: adminApi.middleware }),
      interactions: createInteractions({
        provider: () => providerHost.provider,
        users,
        loginFailures: rateLimits.loginFailures,
        secret: config.secrets[0]!,
        trustProxy: config.rateLimits.trustProxy,
      }),
      ...checks,
      ...(metrics ? { requestMetrics: metrics.requestMetrics, metricsEndpoint: metrics.endpoint } : {}),
    });
    // The provider's cookies are set through this app's context (see cookie-keys.ts).
    app.keys = cookieKeys(config);
    const server = app.listen(config.port, config.host);
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    // Keep-alive connections must not outlive a load balancer's idle timeout.
    server.keepAliveTimeout = 65_000;
    const { port } = server.address() as AddressInfo;
    const url = `http://127.0.0.1:${port}`;
    logger.info('tollgate listening', { url, issuer: config.issuer, database: database.kind });

    let closing: Promise<void> | undefined;
    return {
      url,
      config,
      database,
      registry,
      audit,
      auditBatches,
      apiKeys,
      keyStore,
      providerHost,
      adminApi,
      adminUrl: adminListener?.url ?? url,
      keyMaintenance,
      server,
      close() {
        closing ??= (async () => {
          await new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeIdleConnections();
          });
          for (const cleanup of cleanups.reverse()) await cleanup();
        })();
        return closing;
      },
    };
  } catch (error) {
    for (const cleanup of cleanups.reverse()) await cleanup();
    throw error;
  }
}
