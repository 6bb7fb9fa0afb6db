import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { freePort } from './server.js';

const run = promisify(execFile);

/** A three-master Redis Cluster on 127.0.0.1 that one test owns. */
export interface OwnRedisCluster {
  /** `host:port,host:port,host:port`, as REDIS_CLUSTER_NODES takes it. */
  readonly nodes: string;
  destroy(): Promise<void>;
}

/** Why this machine cannot start a Redis Cluster for a test, or undefined when it can. */
export function ownRedisClusterUnavailable(): string | undefined {
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
  const ports = [await freePort(), await freePort(), await freePort()];
  const stopAll = async () => {
    await Promise.all(ports.map((port) => run('redis-cli', ['-p', String(port), 'shutdown', 'nosave']).catch(() => undefined)));
  };
  try {
    for (const port of ports) {
      await run('redis-server', [
        '--port', String(port), '--bind', '127.0.0.1', '--daemonize', 'yes', '--dir', dir,
        '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`,
        '--save', '', '--appendonly', 'no', '--logfile', join(dir, `${port}.log`),
      ]);
    }
    for (const port of ports) {
      for (let attempt = 0; attempt < 50; attempt += 1) {
        const pong = await run('redis-cli', ['-p', String(port), 'ping']).catch(() => undefined);
        if (pong?.stdout.trim() === 'PONG') break;
        await delay(50);
      }
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
