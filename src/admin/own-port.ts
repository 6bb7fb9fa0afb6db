import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Middleware } from 'koa';
import { createApp, type AppDependencies } from '../app.js';
import type { OwnRoutes } from '../http/own-routes.js';

/** Nothing but the admin API on this port: everything else falls through to the JSON 404. */
const noProvider: Middleware = (_ctx, next) => next();

export interface AdminListener {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * TOLLGATE_ADMIN_PORT: the admin API on a port of its own (with the same
 * request logging, security headers, body limit and health checks as the
 * main port), so a deployment can keep it off the public listener and
 * reach it only from an internal network. The main port then has no
 * /admin/v1 at all.
 */
export async function listenForAdmin(
  deps: Pick<AppDependencies, 'config' | 'logger' | 'checkDatabase' | 'checkRedis' | 'checkSigningModule'>,
  admin: OwnRoutes,
  port: number,
): Promise<AdminListener> {
  const app = createApp({ ...deps, provider: noProvider, admin });
  const server: Server = app.listen(port, deps.config.host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
