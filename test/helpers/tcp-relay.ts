import { createServer, connect, type Server, type Socket } from 'node:net';
import { freePort } from './server.js';

export interface TcpRelay {
  readonly port: number;
  /** Refuses new connections and drops open ones: the service looks stopped. */
  cut(): Promise<void>;
  /** Listens again on the same port: the service is back. */
  restore(): Promise<void>;
}

/**
 * A TCP relay on 127.0.0.1 to a real service (PostgreSQL, Redis) that a test
 * can cut and restore: an outage of that service for one server under test,
 * without stopping the shared instance other suites use at the same time.
 */
export async function startRelay(target: URL, defaultPort: number): Promise<TcpRelay> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let listener: Server | undefined;
  const open = () =>
    new Promise<void>((resolve) => {
      listener = createServer((client) => {
        const upstream = connect(Number(target.port || defaultPort), target.hostname);
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on('close', () => sockets.delete(socket));
          socket.on('error', () => socket.destroy());
        }
        client.pipe(upstream).pipe(client);
      });
      listener.listen(port, '127.0.0.1', () => resolve());
    });
  await open();
  return {
    port,
    async cut() {
      await new Promise<void>((resolve) => {
        listener?.close(() => resolve());
        sockets.forEach((socket) => socket.destroy());
      });
    },
    restore: open,
  };
}
