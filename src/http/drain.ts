import type { Server, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';

/**
 * How long a connection that is idle when the drain starts may still bring
 * one more request. A client may have sent a request on it in the instant
 * the drain started: closing it at once would lose that request (the client
 * sees a reset). Within the grace the request is answered, with
 * `Connection: close`; after it the connection is ended with a FIN.
 */
export const IDLE_GRACE_MS = 1_000;

export interface HttpDrain {
  /** True from the moment `drain` is called: /readyz answers 503. */
  readonly draining: boolean;
  /**
   * Stops accepting connections; every response from now on carries
   * `Connection: close` (and its connection closes after it); requests in
   * flight finish; connections idle at the start are ended after
   * `idleGraceMs`; at `deadlineMs` whatever is left (a slow request, a body
   * that never finishes arriving) is cut. Resolves once no connection is
   * left, with how many were cut at the deadline.
   */
  drain(options: { readonly deadlineMs: number; readonly idleGraceMs: number }): Promise<number>;
}

/** Tracks `server`'s connections and requests so that it can be drained as a load balancer expects. */
export function drainable(server: Server): HttpDrain {
  /** Every open connection, with how many of its requests have not been answered yet. */
  const connections = new Map<Socket, number>();
  const unanswered = new Set<ServerResponse>();
  let draining: Promise<number> | undefined;

  server.on('connection', (socket: Socket) => {
    connections.set(socket, 0);
    socket.once('close', () => connections.delete(socket));
  });
  // Before the application's listener, so the header is there whatever it answers.
  server.prependListener('request', (request, response) => {
    const socket = request.socket;
    connections.set(socket, (connections.get(socket) ?? 0) + 1);
    unanswered.add(response);
    // Node closes the connection after a response that says so.
    if (draining) response.setHeader('Connection', 'close');
    response.once('close', () => {
      unanswered.delete(response);
      const pending = connections.get(socket);
      if (pending !== undefined) connections.set(socket, pending - 1);
    });
  });

  const endIdleConnections = () => {
    for (const [socket, pending] of connections) if (pending === 0) socket.end();
  };

  return {
    get draining() {
      return draining !== undefined;
    },
    drain({ deadlineMs, idleGraceMs }) {
      draining ??= new Promise<number>((resolve) => {
        for (const response of unanswered) if (!response.headersSent) response.setHeader('Connection', 'close');
        let cut = 0;
        const grace = setTimeout(endIdleConnections, Math.min(idleGraceMs, deadlineMs));
        const deadline = setTimeout(() => {
          cut = connections.size;
          for (const socket of connections.keys()) socket.destroy();
        }, deadlineMs);
        // net.Server's close, not http.Server's: that one also destroys every
        // idle connection at once, resetting any on which a request is arriving.
        NetServer.prototype.close.call(server, () => {
          clearTimeout(grace);
          clearTimeout(deadline);
          resolve(cut);
        });
      });
      return draining;
    },
  };
}
