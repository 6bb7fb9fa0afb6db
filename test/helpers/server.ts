import { randomBytes } from 'node:crypto';
import { after, before } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseKind } from '../../adapters/database.js';
import { loadConfig } from '../../src/config.js';
import { fileSecretSource } from '../../src/dev-secret.js';
import { createLogger } from '../../src/logger.js';
import { startTollgate, type RunningTollgate, type TollgateParts } from '../../src/main.js';
import { createTestDatabase, type TestDatabase } from './databases.js';

/** The real host on 127.0.0.1, on its own database and data directory; its parts within reach (`server.registry`, …). */
export interface TestServer extends RunningTollgate, TollgateParts {
  readonly issuer: string;
  readonly env: Record<string, string>;
  readonly testDatabase: TestDatabase;
  /** Closes the server and removes what it created (its database unless shared). */
  stop(): Promise<void>;
}

/** An HTTP server listening on a port the system chose, on 127.0.0.1, and that port. */
export async function listenOnFreePort(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port };
}

/**
 * A loopback port nothing listens on: the system handed it out for a
 * moment and it was closed again (the system picks ports for a bind at
 * random, so it is not the next one handed out). For a dependency that is
 * down, and for a program that must be told its port before it starts
 * (redis-server, postgres): such a caller checks that the server it then
 * reaches is its own, and takes another port if it was taken in between.
 * A server in this process listens with `listenOnFreePort()` instead.
 */
export async function closedPort(): Promise<number> {
  const { server, port } = await listenOnFreePort();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Starts Tollgate the way `npm start` does, with environment overrides.
 * `sharing` starts another instance on the same database and secret (a
 * second process of one deployment, or a restart).
 */
export async function startTestServer(
  kind: DatabaseKind,
  options: { env?: Record<string, string>; sharing?: TestServer; clock?: () => number; logLines?: string[]; database?: TestDatabase } = {},
): Promise<TestServer> {
  // `database`: one the caller created (and drops), e.g. to reach it through a relay given in env.DATABASE_URL.
  const database = options.database ?? options.sharing?.testDatabase ?? (await createTestDatabase(kind));
  const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-data-'));
  // Listening before the configuration is read, so ISSUER names the port it serves on.
  const { server: listener, port } = await listenOnFreePort();
  const env: Record<string, string> = {
    PORT: String(port),
    HOST: '127.0.0.1',
    // Instances of one deployment share one issuer (behind one load balancer).
    ISSUER: options.sharing?.issuer ?? `http://127.0.0.1:${port}`,
    DATABASE_URL: database.url,
    TOLLGATE_DATA_DIR: dataDir,
    TOLLGATE_SECRET: options.sharing?.env['TOLLGATE_SECRET'] ?? randomBytes(32).toString('base64url'),
    LOG_LEVEL: 'silent',
    // Suites send bursts from one address; the rate-limit suite turns them on.
    TOLLGATE_RATE_LIMITS: 'off',
    ...options.env,
  };
  const config = loadConfig(env, fileSecretSource);
  const logger = options.logLines ? createLogger('debug', (line) => options.logLines!.push(line)) : createLogger(config.logLevel);
  const running = await startTollgate(config, { logger, server: listener, ...(options.clock ? { clock: options.clock } : {}) }).catch((error: unknown) => {
    listener.close();
    throw error;
  });
  return {
    ...running,
    ...running.parts,
    issuer: config.issuer,
    env,
    testDatabase: database,
    async stop() {
      await running.close();
      if (!options.sharing && !options.database) await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface MachineClient {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly tenantId: string;
}

export const API = 'https://api.acme.test';
export const REPORTS_API = 'https://reports.acme.test';

/** Tenant `acme`, resource servers, and one client, through the registry. */
export async function seedMachineClient(
  server: Pick<TollgateParts, 'registry'>,
  options: {
    resources?: string[];
    scopes?: string[];
    roles?: string[];
    tenant?: string;
    ipAllowlist?: string[];
    corsOrigins?: string[];
    /** Audiences whose tokens and API keys the client may introspect. */
    introspectAudiences?: string[];
  } = {},
): Promise<MachineClient> {
  const { registry } = server;
  const slug = options.tenant ?? 'acme';
  const tenant = (await registry.tenants.findBySlug(slug)) ?? (await registry.tenants.create({ slug, name: `${slug} corp` }));
  for (const [audience, scopes] of [
    [API, ['read:projects', 'write:projects']],
    [REPORTS_API, ['read:reports']],
  ] as const) {
    // Global resource servers, shared with each tenant a client is seeded in.
    const existing = await registry.resources.findByAudience(audience);
    if (!existing) await registry.resources.create({ audience, scopes: [...scopes], shared_with: [tenant.id] });
    else if (!existing.sharedWith.includes(tenant.id)) await registry.resources.share(audience, { shared_with: [...existing.sharedWith, tenant.id] });
  }
  const { client, clientSecret } = await registry.clients.create({
    name: 'billing-job',
    tenant: slug,
    resources: options.resources ?? [API],
    scopes: options.scopes ?? ['read:projects', 'write:projects'],
    roles: options.roles ?? ['reader'],
    ...(options.ipAllowlist ? { ip_allowlist: options.ipAllowlist } : {}),
    ...(options.corsOrigins ? { cors_origins: options.corsOrigins } : {}),
    ...(options.introspectAudiences ? { introspect_audiences: options.introspectAudiences } : {}),
  });
  return { clientId: client.clientId, clientSecret, tenantId: tenant.id };
}

/** A form POST with HTTP Basic client authentication, as curl -u does. */
export async function postForm(
  url: string,
  form: Record<string, string>,
  auth?: { clientId: string; clientSecret: string },
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(auth
        ? { authorization: `Basic ${Buffer.from(`${encodeURIComponent(auth.clientId)}:${encodeURIComponent(auth.clientSecret)}`).toString('base64')}` }
        : {}),
      ...headers,
    },
    body: new URLSearchParams(form).toString(),
  });
  const text = await response.text();
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { raw: text };
  }
  return { status: response.status, body, headers: response.headers };
}

export const silentLogger = createLogger('silent');

/**
 * Retries `check` until it passes or `withinMs` runs out (then rethrows its
 * last failure): for changes another process makes, which a running server
 * promises to see within a bound rather than at once.
 */
export async function eventually<T>(check: () => Promise<T>, withinMs = 2_000): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/**
 * Registers before/after hooks in the current describe block that start a
 * server with one seeded machine client and stop it; read both from the
 * returned object inside tests.
 */
export function useSeededServer(
  kind: DatabaseKind,
  options: Parameters<typeof startTestServer>[1] = {},
): { server: TestServer; machine: MachineClient } {
  const context = {} as { server: TestServer; machine: MachineClient };
  before(async () => {
    context.server = await startTestServer(kind, options);
    context.machine = await seedMachineClient(context.server);
  });
  after(() => context.server?.stop());
  return context;
}
