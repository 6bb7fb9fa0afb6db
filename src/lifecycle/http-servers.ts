import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { listenForAdmin } from '../admin/own-port.js';
import { createApp, type AppDependencies } from '../app.js';
import type { Config } from '../config.js';
import { drainable } from '../http/drain.js';
import type { OwnRoutes } from '../http/own-routes.js';
import type { Logger } from '../logger.js';
import { cookieKeys } from '../provider/cookie-keys.js';
import { createRedisReadinessCheck } from '../redis/readiness.js';
import type { Cleanups } from './cleanups.js';
import { listenStartupError } from './start-up-errors.js';

/** The listening side of an instance. */
export interface HttpServers {
  /** The main port, as `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Where /admin/v1 is served: `url`, or its own port with TOLLGATE_ADMIN_PORT. */
  readonly adminUrl: string;
  readonly server: Server;
  /** Stops taking requests and waits for those in flight (see http/drain.ts); resolves to how many connections were cut at the deadline. */
  drain(options: { deadlineMs: number; idleGraceMs: number }): Promise<number>;
}

/** Everything the main port serves except the parts this module adds itself (health checks, the admin API's placement). */
export type MainPortParts = Omit<AppDependencies, 'config' | 'logger' | 'checkDatabase' | 'checkRedis' | 'checkSigningModule' | 'admin' | 'draining'>;

/**
 * Listens: the admin API on its own port when TOLLGATE_ADMIN_PORT is set
 * (the main port then has none), then the main port. Both answer /healthz
 * and /readyz, which check the database and, when set, Redis.
 */
export async function listenHttp(options: {
  config: Config;
  logger: Logger;
  checkDatabase: () => Promise<void>;
  /** A PKCS#11 key backend's session check, named on /readyz. */
  checkSigningModule?: (() => Promise<void>) | undefined;
  admin: OwnRoutes;
  main: MainPortParts;
  cleanups: Cleanups;
  /** A server already listening, to serve on instead of `config.port` (tests bind port 0 first, so ISSUER can name the port). */
  server?: Server;
}): Promise<HttpServers> {
  const { config, logger, cleanups } = options;
  const redisReadiness = config.redisUrl ? createRedisReadinessCheck(config.redisUrl) : undefined;
  if (redisReadiness) cleanups.add(() => redisReadiness.close());
  const checks = {
    checkDatabase: options.checkDatabase,
    ...(redisReadiness ? { checkRedis: () => redisReadiness.check() } : {}),
    ...(options.checkSigningModule ? { checkSigningModule: options.checkSigningModule } : {}),
  };

  const adminPort = config.adminPort;
  const adminListener =
    adminPort === undefined
      ? undefined
      : await listenForAdmin({ config, logger, ...checks }, options.admin, adminPort).catch((error: unknown) => {
          throw listenStartupError(error, config.host, adminPort, 'TOLLGATE_ADMIN_PORT');
        });
  if (adminListener) cleanups.add(() => adminListener.close());

  const app = createApp({
    config,
    logger,
    ...options.main,
    ...(adminListener ? {} : { admin: options.admin }),
    ...checks,
    draining: () => drain.draining,
  });
  // The provider's cookies are set through this app's context (see cookie-keys.ts).
  app.keys = cookieKeys(config);
  const server = options.server ?? createServer();
  server.on('request', app.callback());
  const drain = drainable(server);
  if (!server.listening) {
    server.listen(config.port, config.host);
    await new Promise<void>((listening, failed) => {
      server.once('listening', listening);
      server.once('error', (error) => failed(listenStartupError(error, config.host, config.port)));
    });
  }
  // Keep-alive connections must not outlive a load balancer's idle timeout.
  server.keepAliveTimeout = 65_000;
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return { url, adminUrl: adminListener?.url ?? url, server, drain: (drainOptions) => drain.drain(drainOptions) };
}
