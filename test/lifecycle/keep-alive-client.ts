import { Agent, request } from 'node:http';
import type { MachineClient } from '../helpers/server.js';

/** One answer on a kept-alive connection, or the error the client saw instead. */
export interface KeepAliveAnswer {
  readonly status: number;
  /** The `Connection` response header: `close` when the server is going away. */
  readonly connection: string | undefined;
  readonly body: Record<string, unknown>;
  /** True when the request went out on a connection an earlier request opened. */
  readonly reusedSocket: boolean;
}

/**
 * A client that keeps exactly one connection open, as a load balancer's
 * upstream connection does: every request goes out on it while it lives.
 */
export class KeepAliveConnection {
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 1 });

  constructor(private readonly url: string) {}

  send(method: 'GET' | 'POST', path: string, options: { form?: Record<string, string>; auth?: MachineClient; timeoutMs?: number } = {}): Promise<KeepAliveAnswer> {
    const body = options.form ? new URLSearchParams(options.form).toString() : undefined;
    const headers: Record<string, string | number> = {};
    if (body !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers['content-length'] = Buffer.byteLength(body);
    }
    if (options.auth) {
      const { clientId, clientSecret } = options.auth;
      headers['authorization'] = `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;
    }
    return new Promise((resolve, reject) => {
      const outgoing = request(`${this.url}${path}`, { method, agent: this.#agent, headers, timeout: options.timeoutMs ?? 15_000 }, (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('error', reject);
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            connection: response.headers.connection,
            body: JSON.parse(text || '{}') as Record<string, unknown>,
            reusedSocket: outgoing.reusedSocket,
          }),
        );
      });
      outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer within ${options.timeoutMs ?? 15_000} ms`)));
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}
