import type { Server } from 'node:http';
import type { Database } from '../adapters/database.js';
import type { KeyStore } from '../keys/key-store.js';
import { createAdminApi, type AdminApi } from './admin/index.js';
import { createSealer } from '../keys/seal.js';
import type { Config } from './config.js';
import type { ApiKeys } from './api-keys/index.js';
import type { AuditLog } from './audit/audit-log.js';
import type { BatchedAuditWriter } from './audit/batched-writer.js';
import { announceKeyChange } from './keys/change-channel.js';
import { keepKeysCurrent, type KeyMaintenance } from './keys/keep-current.js';
import { createLogger, type Logger } from './logger.js';
import { createServices } from './services/index.js';
import type { ProviderHost } from './provider/provider-host.js';
import type { Registry } from './registry/index.js';
import { createInteractions } from './interactions/index.js';
import { IDLE_GRACE_MS } from './http/drain.js';
import { Cleanups } from './lifecycle/cleanups.js';
import { listenHttp } from './lifecycle/http-servers.js';
import { createProviderParts } from './lifecycle/provider.js';
import { openStorage } from './lifecycle/storage.js';

/**
 * What a running instance is made of. Nothing in src/ reaches in; tests and
 * benchmarks do (test/helpers/server.ts spreads these onto its TestServer),
 * to seed rows, rotate keys or read the audit log without a round trip.
 */
export interface TollgateParts {
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
  readonly keyMaintenance: KeyMaintenance;
}

export interface RunningTollgate {
  readonly url: string;
  /** Where /admin/v1 is served: `url`, or its own port with TOLLGATE_ADMIN_PORT. */
  readonly adminUrl: string;
  /** The main port's server (cluster workers stamp a header on its responses). */
  readonly server: Server;
  /** The services inside, for tests and benchmarks (see TollgateParts). */
  readonly parts: TollgateParts;
  /** Stops at once: connections idle now are closed, requests in flight finish (tests, embedding). */
  close(): Promise<void>;
  /**
   * The SIGTERM path: drains as a load balancer expects (/readyz 503, `Connection: close`,
   * idle connections given a grace, TOLLGATE_SHUTDOWN_TIMEOUT for the rest), then closes.
   */
  shutdown(): Promise<void>;
}

/** config → storage → provider host → key upkeep → admin API and sign-in pages → listen. */
export async function startTollgate(
  config: Config,
  options: {
    logger?: Logger;
    clock?: () => number;
    /** A server already listening, to serve on instead of `config.port` (tests bind port 0 first, so ISSUER can name the port). */
    server?: Server;
  } = {},
): Promise<RunningTollgate> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const { clock } = options;
  if (config.secretGenerated) {
    logger.warn('TOLLGATE_SECRET is not set: using a generated development secret from the data directory. Set TOLLGATE_SECRET in production.', {
      dataDir: config.dataDir,
    });
  }

  const cleanups = new Cleanups();
  try {
    const storage = await openStorage(config, logger, cleanups, clock);
    const { database, keyStore, registry, users, audit } = storage;
    const { providerHost, apiKeys, rateLimits, metrics } = await createProviderParts(config, logger, storage, cleanups, clock);
    const keyMaintenance = keepKeysCurrent({ config, logger, keyStore, providerHost, audit, cleanups, clock });

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
    cleanups.add(() => adminApi.stop());

    const http = await listenHttp({
      config,
      logger,
      checkDatabase: async () => {
        await database.knex.raw('select 1');
      },
      ...(storage.keyBackend.name === 'pkcs11' ? { checkSigningModule: () => storage.keyBackend.check() } : {}),
      admin: adminApi,
      main: {
        rateLimits: rateLimits.gate(providerHost.gateKindOf),
        provider: providerHost.middleware(),
        interactions: createInteractions({
          provider: () => providerHost.provider,
          users,
          loginFailures: rateLimits.loginFailures,
          secret: config.secrets[0]!,
          trustProxy: config.rateLimits.trustProxy,
        }),
        ...(metrics ? { requestMetrics: metrics.requestMetrics(providerHost.metricsLabelOf), metricsEndpoint: metrics.endpoint } : {}),
      },
      cleanups,
      ...(options.server ? { server: options.server } : {}),
    });
    // Where it really listens (HOST 0.0.0.0 is every IPv4 address, not only loopback), and the issuer clients use.
    const everywhere = config.host === '0.0.0.0' || config.host === '::';
    const port = new URL(http.url).port;
    logger.info('tollgate listening', { address: `${everywhere ? `every address (${config.host})` : config.host}, port ${port}`, issuer: config.issuer, database: database.kind });

    let closing: Promise<void> | undefined;
    const stop = (idleGraceMs: number) => {
      closing ??= (async () => {
        const cut = await http.drain({ deadlineMs: config.shutdownTimeoutSeconds * 1000, idleGraceMs });
        if (cut) logger.warn('shutdown deadline reached: connections cut with requests unfinished', { connections: cut });
        // After the last response: every event of a request answered is in the queue the audit cleanup writes.
        await cleanups.run();
      })();
      return closing;
    };
    return {
      url: http.url,
      adminUrl: http.adminUrl,
      server: http.server,
      parts: { config, database, registry, audit, auditBatches: storage.auditBatches, apiKeys, keyStore, providerHost, adminApi, keyMaintenance },
      close: () => stop(0),
      shutdown: () => stop(IDLE_GRACE_MS),
    };
  } catch (error) {
    await cleanups.run();
    throw error;
  }
}
