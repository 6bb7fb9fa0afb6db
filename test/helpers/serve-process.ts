import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';

const cliPath = fileURLToPath(new URL('../../src/cli/entry.js', import.meta.url));

/** `node dist/src/cli/entry.js serve …` as an operator starts it, in an OS process of its own. */
export interface ServeProcess {
  /**
   * `http://<HOST>:<port>` once it listens. Start it with PORT=0 and the
   * port is the one the system chose, read from its "tollgate listening"
   * log line (so LOG_LEVEL must be info or debug); until then this throws.
   */
  readonly url: string;
  /** The port it listens on: PORT, or with PORT=0 the one it reported (undefined until then). */
  readonly port: string | undefined;
  readonly pid: number;
  /** stdout and stderr lines so far (JSON log lines, or the one-line refusal). */
  readonly lines: string[];
  /** Resolves with the exit code (null when killed by a signal) once the process has exited. */
  readonly exited: Promise<number | null>;
  /** SIGTERM, then after `graceMs` SIGKILL (cluster workers exit when their primary goes); resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

/** Spawns the compiled CLI's `serve` with `env` on top of this process's environment. */
export function spawnServe(env: Record<string, string>, args: readonly string[] = []): ServeProcess {
  const child: ChildProcess = spawn(process.execPath, [cliPath, 'serve', ...args], {
    env: { ...process.env, ...env },
    // In the test's process group: interrupting the test run stops it too.
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let port = env['PORT'] === '0' ? undefined : env['PORT'];
  for (const stream of [child.stdout!, child.stderr!]) {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop()!;
      lines.push(...parts.filter(Boolean));
      port ??= listeningPort(parts);
    });
  }
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return {
    get port() {
      return port;
    },
    get url() {
      if (port === undefined) throw new Error('serve has not reported its port yet (PORT=0 reads it from the "tollgate listening" line: LOG_LEVEL info or debug)');
      return `http://${env['HOST'] ?? '127.0.0.1'}:${port}`;
    },
    pid: child.pid!,
    lines,
    exited,
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/**
 * The port in a start-up log line among `lines`: "tollgate listening"
 * ("address": "127.0.0.1, port 41234"), or with --workers the primary's
 * "cluster ready" ("port": 41234).
 */
function listeningPort(lines: readonly string[]): string | undefined {
  for (const entry of logEntries(lines)) {
    if (entry['message'] === 'cluster ready' && typeof entry['port'] === 'number') return String(entry['port']);
    if (entry['message'] !== 'tollgate listening') continue;
    const port = /, port (\d+)$/.exec(String(entry['address']))?.[1];
    if (port) return port;
  }
  return undefined;
}

/** Polls GET /readyz until 200 (once it has said its port); fails early (with the process's output) if it exits first. */
export async function waitUntilReady(serve: ServeProcess, withinMs = 30_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  let exitCode: number | null | undefined;
  void serve.exited.then((code) => {
    exitCode = code;
  });
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`serve exited with ${exitCode}:\n${serve.lines.join('\n')}`);
    const status =
      serve.port === undefined
        ? 0
        : await fetch(`${serve.url}/readyz`).then(
            (response) => response.status,
            () => 0,
          );
    if (status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`serve not ready within ${withinMs} ms:\n${serve.lines.join('\n')}`);
}

/**
 * A form POST on a connection of its own (`Connection: close`), so that a
 * cluster's round-robin hands each request to the next worker. Fails after
 * `timeoutMs`: a connection node:cluster hands to a worker in the instant it
 * dies is never answered, and a test must not wait for it forever.
 */
export function postOnNewConnection(
  url: string,
  form: Record<string, string>,
  auth: { clientId: string; clientSecret: string },
  timeoutMs = 5_000,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Record<string, unknown> }> {
  const body = new URLSearchParams(form).toString();
  const basic = Buffer.from(`${encodeURIComponent(auth.clientId)}:${encodeURIComponent(auth.clientSecret)}`).toString('base64');
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      {
        method: 'POST',
        agent: false,
        timeout: timeoutMs,
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}`, connection: 'close', 'content-length': Buffer.byteLength(body) },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: JSON.parse(text || '{}') as Record<string, unknown> }));
        response.on('error', reject);
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)));
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** The JSON log lines among a process's output (oidc-provider prints plain-text warnings too). */
export function logEntries(lines: readonly string[]): Record<string, unknown>[] {
  return lines.flatMap((line) => {
    try {
      const entry: unknown = JSON.parse(line);
      return entry && typeof entry === 'object' ? [entry as Record<string, unknown>] : [];
    } catch {
      return [];
    }
  });
}
