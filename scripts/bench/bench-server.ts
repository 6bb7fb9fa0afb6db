/**
 * A benchmark target in its own process (so the load generator does not share
 * its event loop): `tollgate` (the real host, seeded with one client),
 * `serve` (`tollgate serve` as operators run it, in a child process, with
 * BENCH_WORKERS workers; PostgreSQL) or `bare` (oidc-provider alone, memory adapter, plain-text static client, same
 * ES256 JWT access tokens): the ceiling Tollgate is measured against.
 * Both offer a JWT audience and an opaque-token audience.
 * Talks to the parent over IPC: sends `{ url, clientId, clientSecret, audience, … }`
 * when ready, answers 'stats' with its memory use and CPU time, 'profile' by
 * starting a CPU profile (BENCH_PROFILE_DIR), and `{ type: 'exit' }` by
 * saving that profile and exiting.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import { openDatabase } from '../../adapters/database.js';
import { loadConfig } from '../../src/config.js';
import { fileSecretSource } from '../../src/dev-secret.js';
import { createLogger } from '../../src/logger.js';
import { startTollgate } from '../../src/main.js';
import { createRegistry, type Registry } from '../../src/registry/index.js';
import { processTreeStats } from './process-tree.js';
import { seedOidcModels } from './seed-models.js';

const AUDIENCE = 'https://api.bench.test';
/** A resource server whose access tokens are opaque (stored in oidc_models, introspected). */
const OPAQUE_AUDIENCE = 'https://opaque.bench.test';

export interface BenchTarget {
  url: string;
  clientId: string;
  clientSecret: string;
  audience: string;
  opaqueAudience: string;
  /** Tollgate with BENCH_SEED_ROWS: how long growing oidc_models took. */
  seededInMs?: number;
  /** Tollgate only: an API key of the same tenant, for introspection. */
  apiKey?: string;
}

async function startBare(port: number): Promise<BenchTarget> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: 'bench', alg: 'ES256', use: 'sig' };
  const clientSecret = randomBytes(32).toString('base64url');
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    jwks: { keys: [jwk] },
    clients: [
      {
        client_id: 'bench',
        client_secret: clientSecret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        id_token_signed_response_alg: 'ES256',
      },
    ],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => AUDIENCE,
        getResourceServerInfo: async (_ctx, audience) =>
          audience === OPAQUE_AUDIENCE
            ? { scope: 'read', audience, accessTokenFormat: 'opaque', accessTokenTTL: 900 }
            : { scope: 'read', audience: AUDIENCE, accessTokenFormat: 'jwt', accessTokenTTL: 900, jwt: { sign: { alg: 'ES256' } } },
      },
      introspection: { enabled: true },
    },
  });
  await new Promise<void>((resolve) => provider.listen(port, '127.0.0.1', resolve));
  return { url: issuer, clientId: 'bench', clientSecret, audience: AUDIENCE, opaqueAudience: OPAQUE_AUDIENCE };
}

/** The environment a Tollgate target runs with, on top of the bench's own. */
function tollgateEnv(port: number): Record<string, string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-bench-'));
  // BENCH_DATABASE: 'sqlite' (a fresh file, as `npm start` uses) or a postgres:// URL.
  const database = process.env['BENCH_DATABASE'] ?? 'sqlite';
  return {
    DATABASE_URL: database === 'sqlite' ? `sqlite:${join(dataDir, 'tollgate.sqlite')}` : database,
    PORT: String(port),
    HOST: '127.0.0.1',
    ISSUER: `http://127.0.0.1:${port}`,
    TOLLGATE_DATA_DIR: dataDir,
    TOLLGATE_SECRET: randomBytes(32).toString('base64url'),
    LOG_LEVEL: 'silent',
    // Limits stay on, so their cost is measured, but this one load
    // generator on 127.0.0.1 must not be throttled.
    TOLLGATE_RATE_LIMIT_IP: '1000000/min',
  };
}

/** The bench tenant, its two resource servers (JWT and opaque) and one client. */
async function seedBenchClient(registry: Registry): Promise<{ clientId: string; clientSecret: string }> {
  await registry.tenants.create({ slug: 'bench', name: 'Bench' });
  await registry.resources.create({ audience: AUDIENCE, scopes: ['read'], tenant: 'bench' });
  await registry.resources.create({ audience: OPAQUE_AUDIENCE, scopes: ['read'], token_format: 'opaque', tenant: 'bench' });
  const { client, clientSecret } = await registry.clients.create({
    name: 'bench',
    tenant: 'bench',
    resources: [AUDIENCE, OPAQUE_AUDIENCE],
    scopes: ['read'],
    roles: ['bench'],
    // It also introspects the bench API key, which is for AUDIENCE.
    introspect_audiences: [AUDIENCE],
  });
  return { clientId: client.clientId, clientSecret };
}

async function startTollgateTarget(port: number): Promise<BenchTarget> {
  const config = loadConfig({ ...process.env, ...tollgateEnv(port) }, fileSecretSource);
  const running = await startTollgate(config, { logger: createLogger('silent') });
  const { clientId, clientSecret } = await seedBenchClient(running.parts.registry);
  const { key } = await running.parts.apiKeys.keys.create({ tenant: 'bench', name: 'bench', resources: [AUDIENCE], scopes: ['read'] });
  // BENCH_SEED_ROWS: grow oidc_models first (the table opaque tokens live in).
  const seedRows = Number(process.env['BENCH_SEED_ROWS'] ?? 0);
  const seedStarted = performance.now();
  if (seedRows > 0) await seedOidcModels(running.parts.database.knex, seedRows);
  return {
    url: running.url,
    clientId,
    clientSecret,
    audience: AUDIENCE,
    opaqueAudience: OPAQUE_AUDIENCE,
    apiKey: key,
    ...(seedRows > 0 ? { seededInMs: Math.round(performance.now() - seedStarted) } : {}),
  };
}

/** `tollgate serve` with TOLLGATE_WORKERS=BENCH_WORKERS in a child process; stats cover the primary and its workers. */
let serveProcess: ChildProcess | undefined;

async function startServeTarget(port: number): Promise<BenchTarget> {
  const env = tollgateEnv(port);
  serveProcess = spawn(process.execPath, [fileURLToPath(new URL('../../src/cli/entry.js', import.meta.url)), 'serve'], {
    env: { ...process.env, ...env, TOLLGATE_WORKERS: process.env['BENCH_WORKERS'] ?? '1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (!(await fetch(`${url}/readyz`).then((response) => response.ok, () => false))) {
    if (serveProcess.exitCode !== null || Date.now() > deadline) throw new Error(`tollgate serve did not become ready (exit code ${serveProcess.exitCode})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // The primary migrated before forking; the registry writes go straight to the database.
  const database = openDatabase(env['DATABASE_URL']!);
  try {
    return { url, ...(await seedBenchClient(createRegistry(database.knex))), audience: AUDIENCE, opaqueAudience: OPAQUE_AUDIENCE };
  } finally {
    await database.close();
  }
}

async function stopServeTarget(): Promise<void> {
  if (!serveProcess || serveProcess.exitCode !== null) return;
  serveProcess.kill('SIGTERM');
  await Promise.race([once(serveProcess, 'exit'), new Promise((resolve) => setTimeout(resolve, 10_000))]);
  serveProcess.kill('SIGKILL');
}

/**
 * BENCH_PROFILE_DIR: a V8 CPU profile of the measured window only (not start-up
 * or warm-up), saved with the number of requests it served so
 * profile-summary.ts can print µs per request.
 */
async function startProfiler(directory: string) {
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async (label: { scenario: string; requests: number }): Promise<void> => {
    const { profile } = await session.post('Profiler.stop');
    const { writeFileSync } = await import('node:fs');
    const name = `${label.scenario.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '')}-${process.pid}`;
    writeFileSync(join(directory, `${name}.cpuprofile`), JSON.stringify({ ...profile, bench: label }));
  };
}

type ParentMessage = 'stats' | 'profile' | { type: 'exit'; scenario: string; requests: number };

const [kind = 'tollgate', portArg = '0'] = process.argv.slice(2);
const starters: Record<string, (port: number) => Promise<BenchTarget>> = { bare: startBare, tollgate: startTollgateTarget, serve: startServeTarget };
const target = await starters[kind]!(Number(portArg));
const profileDir = process.env['BENCH_PROFILE_DIR'];
let saveProfile: ((label: { scenario: string; requests: number }) => Promise<void>) | undefined;
process.send?.({ type: 'ready', target });
process.on('message', (message: ParentMessage) => {
  if (message === 'stats') {
    const cpu = process.cpuUsage();
    const stats = serveProcess?.pid ? processTreeStats(serveProcess.pid) : { rss: process.memoryUsage().rss, cpuMicros: cpu.user + cpu.system };
    process.send?.({ type: 'stats', ...stats });
  } else if (message === 'profile') {
    if (profileDir) void startProfiler(profileDir).then((save) => (saveProfile = save)).finally(() => process.send?.({ type: 'profiling' }));
    else process.send?.({ type: 'profiling' });
  } else if (message.type === 'exit') {
    void Promise.all([saveProfile?.(message), stopServeTarget()]).finally(() => process.exit(0));
  }
});
