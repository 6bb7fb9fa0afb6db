/**
 * Cold start to first token: `node dist/src/cli/entry.js serve` on a fresh SQLite
 * data directory, timed from spawn until a client_credentials request gets
 * a token. The directory holds only the registry rows the request needs
 * (tenant, resource server, client); the server still applies the
 * migrations check, creates and seals its first signing keys, builds the
 * provider and pays the first argon2 verification, as a new deployment does.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrate, openDatabase } from '../../adapters/database.js';
import { createRegistry } from '../../src/registry/index.js';
import { closedPort } from '../../test/helpers/server.js';

const AUDIENCE = 'https://api.bench.test';
const CLI = fileURLToPath(new URL('../../src/cli/entry.js', import.meta.url));
/** A start that never answers is a failure, not a slow number. */
const GIVE_UP_MS = 30_000;

async function prepareDataDir(databaseUrl: string): Promise<{ clientId: string; clientSecret: string }> {
  const database = openDatabase(databaseUrl);
  try {
    await migrate(database);
    const registry = createRegistry(database.knex);
    await registry.tenants.create({ slug: 'bench', name: 'Bench' });
    await registry.resources.create({ audience: AUDIENCE, scopes: ['read'] });
    const { client, clientSecret } = await registry.clients.create({ name: 'bench', tenant: 'bench', resources: [AUDIENCE], scopes: ['read'] });
    return { clientId: client.clientId, clientSecret };
  } finally {
    await database.close();
  }
}

async function tokenIssued(url: string, authorization: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'read' }),
    });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false; // not listening yet
  }
}

/** Milliseconds from spawn to the first token, once. */
export async function measureColdStart(): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-cold-'));
  const databaseUrl = `sqlite:${join(dataDir, 'tollgate.sqlite')}`;
  try {
    const { clientId, clientSecret } = await prepareDataDir(databaseUrl);
    const authorization = `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;
    const port = await closedPort();
    const url = `http://127.0.0.1:${port}`;
    const started = performance.now();
    const server = spawn(process.execPath, [CLI, 'serve'], {
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        PORT: String(port),
        HOST: '127.0.0.1',
        ISSUER: url,
        TOLLGATE_DATA_DIR: dataDir,
        TOLLGATE_SECRET: randomBytes(32).toString('base64url'),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    try {
      while (!(await tokenIssued(url, authorization))) {
        if (server.exitCode !== null) throw new Error(`tollgate serve exited with ${server.exitCode} before issuing a token`);
        if (performance.now() - started > GIVE_UP_MS) throw new Error('tollgate serve issued no token within 30 s');
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return Math.round(performance.now() - started);
    } finally {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
      server.kill('SIGKILL');
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
