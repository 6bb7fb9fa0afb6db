import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

export interface TcpRelay {
  readonly port: number;
  /** Refuses new connections and drops open ones: the service looks stopped. */
  cut(): Promise<void>;
  /** Listens again on the same port: the service is back. */
  restore(): Promise<void>;
  /**
   * Stops forwarding in both directions and keeps every socket open, new
   * ones included: a network partition (packets dropped, no reset), which a
   * client only notices through its own timeouts.
   */
  freeze(): void;
  /** Forwards again what was held, as TCP retransmission would once the partition heals. */
  thaw(): void;
}

interface Pair {
  readonly client: Socket;
  upstream: Socket | undefined;
}

/**
 * A TCP relay on 127.0.0.1 to a real service (PostgreSQL, Redis) that a test
 * can cut, freeze and restore: an outage of that service for one server
 * under test, without stopping the shared instance other suites use at the
 * same time.
 */
export async function startRelay(target: URL, defaultPort: number): Promise<TcpRelay> {
  // Port 0 on the first listen; `restore()` listens again on the port the system chose.
  let port = 0;
  const sockets = new Set<Socket>();
  const pairs = new Set<Pair>();
  let listener: Server | undefined;
  let frozen = false;

  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const forward = (pair: Pair) => {
    if (!pair.upstream) {
      pair.upstream = connect(Number(target.port || defaultPort), target.hostname);
      track(pair.upstream);
    }
    pair.client.pipe(pair.upstream).pipe(pair.client);
  };
  const hold = (pair: Pair) => {
    pair.client.unpipe();
    pair.upstream?.unpipe();
    pair.client.pause();
    pair.upstream?.pause();
  };

  const open = () =>
    new Promise<void>((resolve) => {
      listener = createServer((client) => {
        const pair: Pair = { client, upstream: undefined };
        pairs.add(pair);
        track(client);
        client.on('close', () => {
          pairs.delete(pair);
          pair.upstream?.destroy();
        });
        // A connection opened during a partition is accepted and then hears nothing.
        if (frozen) client.pause();
        else forward(pair);
      });
      listener.listen(port, '127.0.0.1', () => {
        port = (listener!.address() as AddressInfo).port;
        resolve();
      });
    });
  await open();
  return {
    get port() {
      return port;
    },
    async cut() {
      await new Promise<void>((resolve) => {
        listener?.close(() => resolve());
        sockets.forEach((socket) => socket.destroy());
      });
    },
    restore: open,
    freeze() {
      frozen = true;
      pairs.forEach(hold);
    },
    thaw() {
      frozen = false;
      pairs.forEach(forward);
    },
  };
}
