import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Database } from '../adapters/database.js';
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
import { auditApiKeyVerificationFailures } from './audit/api-key-events.js';
import { AuditLog } from './audit/audit-log.js';
import { createServices } from './services/index.js';
import { BatchedAuditWriter } from './audit/batched-writer.js';
import { auditTokenOutcomes } from './audit/token-events.js';
import { rejectionCode } from './audit/write-failure.js';
import { fanOut } from './provider/endpoint-outcome.js';
import { announceKeyChange, subscribeToKeyChanges } from './keys/change-channel.js';
import { startKeyMaintenance } from './keys/maintenance.js';
import { createLogger, type Logger } from './logger.js';
import { createMetrics } from './metrics/index.js';
import { OutageLog } from './lifecycle/outage-log.js';
import { isDatabaseUnavailable } from '../adapters/database-errors.js';
import { createApiKeyIntrospector } from './provider/api-key-introspection.js';
import { prepareStorage } from './lifecycle/prepare-storage.js';
import { createRateLimits } from './rate-limit/index.js';
import { ProviderHost } from './provider/provider-host.js';
import { createRedisReadinessCheck } from './redis/readiness.js';
import { VerifiedCredentialCache } from './registry/credential-cache.js';
import { createRegistry, type Registry } from './registry/index.js';
import { createInteractions } from './interactions/index.js';
import { UserRepository } from './users/index.js';
import { cookieKeys } from './provider/cookie-keys.js';
import { drainable, IDLE_GRACE_MS } from './http/drain.js';
import { listenStartupError } from './lifecycle/start-up-errors.js';
import { openDatabaseAtStart } from './lifecycle/wait-for-database.js';

/** How often every instance checks the key table for a rotation (the issue's bound: 10 s). */
const KEY_POLL_MS = 5_000;
/** How often every instance retires keys past their window and checks the rotation schedule. */
const KEY_MAINTENANCE_MS = 60_000;
export interface RunningTollgate {
  readonly url: string;
  readonly config: Config;
  readonly database: Database;
  readonly registry: Registry;
  readonly audit: AuditLog;
  /** Token-endpoint events, group-committed before each answer; `flush()`/`stop()` wait for every event written so far. */
  readonly auditBatches: BatchedAuditWriter;
  readonly apiKeys: ApiKeys;
  readonly keyStore: KeyStore;
  readonly providerHost: ProviderHost;
  readonly adminApi: AdminApi;
  /** Where /admin/v1 is served: `url`, or its own port with TOLLGATE_ADMIN_PORT. */
  readonly adminUrl: string;
  readonly keyMaintenance: ReturnType<typeof startKeyMaintenance>;
  readonly server: Server;
  /** Stops at once: connections idle now are closed, requests in flight finish (tests, embedding). */
  close(): Promise<void>;
  /**
   * The SIGTERM path: drains as a load balancer expects (/readyz 503, `Connection: close`,
   * idle connections given a grace, TOLLGATE_SHUTDOWN_TIMEOUT for the rest), then closes.
   */
  shutdown(): Promise<void>;
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

  const database = await openDatabaseAtStart(config, logger, { availability: new OutageLog(logger, 'database'), exclusiveToProcess: true });
  const cleanups: (() => Promise<void> | void)[] = [() => database.close()];
  try {
    const keyStore = await prepareStorage(database, config, logger, options.clock);

    const registry = createRegistry(database.knex);
    await ensureAdminResource(registry);
    const users = new UserRepository(database.knex, registry.tenants);
    // The database's error code only: a refusal's message may quote the refused value.
    const onAuditRowRejected = (error: unknown) => logger.error('audit event refused by the database: recorded as audit.row_rejected', { code: rejectionCode(error) });
    const audit = new AuditLog(database.knex, {
      onError: (error) => {
        if (!isDatabaseUnavailable(error)) logger.error('audit event not recorded', { error: (error as Error)?.message });
      },
      onRejected: onAuditRowRejected,
    });
    cleanups.push(() => audit.settled());
    // One row per token request, committed before the answer is sent; concurrent requests share one INSERT.
    const auditBatches = new BatchedAuditWriter(database.knex, {
      // An unavailable database is logged once for the whole outage (OutageLog); each write's failure is its request's 503.
      onError: (error) => {
        if (!isDatabaseUnavailable(error)) logger.error('audit events not written, their requests answered 503', { error: (error as Error)?.message });
      },
      onRejected: onAuditRowRejected,
    });
    cleanups.push(() => auditBatches.stop());
    const credentials = new VerifiedCredentialCache(config.secrets[0]!, { ttlSeconds: config.credentialCacheTtlSeconds });
    const apiKeys = createApiKeys(database.knex, registry, {
      credentials,
      onEvent: auditApiKeyVerificationFailures(audit, 'server'),
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
        ...(config.auditTokenEvents === 'off' ? {} : { recordEndpointOutcome: auditTokenOutcomes((event) => auditBatches.write(event), config.auditTokenEvents) }),
        onEndpointOutcome: fanOut(metrics?.onEndpointOutcome),
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
      services: createServices({ registry, users, apiKeys: apiKeys.keys }),
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
    const adminPort = config.adminPort;
    const adminListener =
      adminPort === undefined
        ? undefined
        : await listenForAdmin({ config, logger, ...checks }, adminApi.middleware, adminPort).catch((error: unknown) => {
            throw listenStartupError(error, config.host, adminPort, 'TOLLGATE_ADMIN_PORT');
          });
    if (adminListener) cleanups.push(() => adminListener.close());
    const app = createApp({
      config,
      logger,
      rateLimits: rateLimits.gate(providerHost.gateKindOf),
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
      draining: () => drain.draining,
    });
    // The provider's cookies are set through this app's context (see cookie-keys.ts).
    app.keys = cookieKeys(config);
    const server = createServer(app.callback());
    const drain = drainable(server);
    server.listen(config.port, config.host);
    await new Promise<void>((listening, failed) => {
      server.once('listening', listening);
      server.once('error', (error) => failed(listenStartupError(error, config.host, config.port)));
    });
    // Keep-alive connections must not outlive a load balancer's idle timeout.
    server.keepAliveTimeout = 65_000;
    const { port } = server.address() as AddressInfo;
    const url = `http://127.0.0.1:${port}`;
    // Where it really listens (HOST 0.0.0.0 is every IPv4 address, not only loopback), and the issuer clients use.
    const everywhere = config.host === '0.0.0.0' || config.host === '::';
    logger.info('tollgate listening', { address: `${everywhere ? `every address (${config.host})` : config.host}, port ${port}`, issuer: config.issuer, database: database.kind });

    let closing: Promise<void> | undefined;
    const stop = (idleGraceMs: number) => {
      closing ??= (async () => {
        const cut = await drain.drain({ deadlineMs: config.shutdownTimeoutSeconds * 1000, idleGraceMs });
        if (cut) logger.warn('shutdown deadline reached: connections cut with requests unfinished', { connections: cut });
        // After the last response: every event of a request answered is in the queue the audit cleanup writes.
        for (const cleanup of cleanups.reverse()) await cleanup();
      })();
      return closing;
    };
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
      close: () => stop(0),
      shutdown: () => stop(IDLE_GRACE_MS),
    };
  } catch (error) {
    for (const cleanup of cleanups.reverse()) await cleanup();
    throw error;
  }
}
