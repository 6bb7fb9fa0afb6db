import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { closedPort } from './server.js';

const run = promisify(execFile);

/** A PostgreSQL server this test owns: its own data directory and port, started and stopped at will. */
export interface OwnPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  readonly url: string;
  /** Stops the server at once (`pg_ctl stop -m immediate`): what a crash or a host failure looks like to clients. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it if running and deletes its data directory. */
  destroy(): Promise<void>;
}

function findBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  return versions.map((version) => join(root, version, 'bin')).find((dir) => existsSync(join(dir, 'pg_ctl')));
}

/**
 * Why a test cannot start its own PostgreSQL here, or undefined when it can:
 * it needs the server binaries (Debian's `postgresql` package; CI has them).
 * As root they run as the `postgres` user, since PostgreSQL refuses root.
 */
export function ownPostgresUnavailable(): string | undefined {
  if (!findBinDir()) return 'no PostgreSQL server binaries under /usr/lib/postgresql';
  return undefined;
}

export async function startOwnPostgres(): Promise<OwnPostgres> {
  const bin = findBinDir();
  if (!bin) throw new Error(ownPostgresUnavailable());
  const root = mkdtempSync(join(tmpdir(), 'tollgate-own-pg-'));
  const asRoot = process.getuid?.() === 0;
  // PostgreSQL will not run as root: run its tools as the postgres user, who must own the directory.
  if (asRoot) chownSync(root, Number((await run('id', ['-u', 'postgres'])).stdout.trim()), Number((await run('id', ['-g', 'postgres'])).stdout.trim()));
  const tool = (name: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, name), ...args]) : run(join(bin, name), args);
  const data = join(root, 'data');
  await tool('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  let port = 0;
  // fsync=off is safe here (the machine does not crash, only the server);
  // synchronous_commit=off is not: an immediate stop would lose seeded rows.
  const options = () => `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off`;
  let running = false;
  // pg_ctl -w waits for this server itself (its pid file), and fails if the port was taken.
  const start = async () => {
    await tool('pg_ctl', ['-D', data, '-o', options(), '-l', join(root, 'log'), '-w', '-t', '30', 'start']);
    running = true;
  };
  const stop = async () => {
    await tool('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    running = false;
  };
  // PostgreSQL cannot be given port 0: a port taken between closedPort() and the start is retried on another.
  for (let attempt = 1; !running; attempt += 1) {
    port = await closedPort();
    await start().catch((error: unknown) => {
      if (attempt === 3) throw error;
    });
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop,
    async destroy() {
      if (running) await stop().catch(() => undefined);
      rmSync(root, { recursive: true, force: true });
    },
  };
}
