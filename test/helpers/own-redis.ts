import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { closedPort } from './server.js';

const run = promisify(execFile);

/** One redis-server on 127.0.0.1 that a test owns: stopped and started again on the same port at will. */
export interface OwnRedis {
  readonly url: string;
  /** SHUTDOWN NOSAVE: the server is gone, its port refuses connections. */
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

async function startRedisServer(port: number, dir: string, extra: string[] = []): Promise<void> {
  await run('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--daemonize', 'yes', '--dir', dir,
    '--save', '', '--appendonly', 'no', '--logfile', join(dir, `${port}.log`), ...extra,
  ]);
  // Ready once the server on the port answers with this server's directory (not some other test's server).
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const answer = await run('redis-cli', ['-p', String(port), 'config', 'get', 'dir']).catch(() => undefined);
    if (answer?.stdout.split('\n')[1]?.trim() === dir) return;
    await delay(50);
  }
  throw new Error(`redis-server on port ${port} did not start`);
}

/** Starts one with `start(port)` on a port from closedPort(), and on another if that one was taken in between. */
async function onSomePort(start: (port: number) => Promise<void>): Promise<number> {
  for (let attempt = 1; ; attempt += 1) {
    const port = await closedPort();
    try {
      await start(port);
      return port;
    } catch (error) {
      if (attempt === 3) throw error;
    }
  }
}

export async function startOwnRedis(): Promise<OwnRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-redis-'));
  let running = false;
  const port = await onSomePort((port) => startRedisServer(port, dir));
  running = true;
  const start = async () => {
    await startRedisServer(port, dir);
    running = true;
  };
  const stop = async () => {
    await run('redis-cli', ['-p', String(port), 'shutdown', 'nosave']).catch(() => undefined);
    running = false;
  };
  return {
    url: `redis://127.0.0.1:${port}/0`,
    start,
    stop,
    async destroy() {
      if (running) await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A three-master Redis Cluster on 127.0.0.1 that one test owns. */
export interface OwnRedisCluster {
  /** `host:port,host:port,host:port`, as REDIS_CLUSTER_NODES takes it. */
  readonly nodes: string;
  destroy(): Promise<void>;
}

/** Why this machine cannot start a Redis (or a Redis Cluster) for a test, or undefined when it can. */
export function ownRedisUnavailable(): string | undefined {
  for (const binary of ['redis-server', 'redis-cli']) {
    if (spawnSync(binary, ['--version']).status !== 0) return `${binary} is not installed`;
  }
  return undefined;
}

/**
 * Starts three `redis-server --cluster-enabled yes` on free ports, joins them
 * with `redis-cli --cluster create` (no replicas), and waits until every
 * slot is served. About a second; the servers die with `destroy()`.
 */
export async function startOwnRedisCluster(): Promise<OwnRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-redis-cluster-'));
  const ports: number[] = [];
  const stopAll = async () => {
    await Promise.all(ports.map((port) => run('redis-cli', ['-p', String(port), 'shutdown', 'nosave']).catch(() => undefined)));
  };
  try {
    for (let node = 0; node < 3; node += 1) {
      ports.push(await onSomePort((port) => startRedisServer(port, dir, ['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`])));
    }
    await run('redis-cli', ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes']);
    for (let attempt = 0; attempt < 100; attempt += 1) {
      const info = await Promise.all(ports.map((port) => run('redis-cli', ['-p', String(port), 'cluster', 'info']).then((out) => out.stdout)));
      if (info.every((text) => text.includes('cluster_state:ok'))) break;
      await delay(100);
    }
  } catch (error) {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    nodes: ports.map((port) => `127.0.0.1:${port}`).join(','),
    async destroy() {
      await stopAll();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
