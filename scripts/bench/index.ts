/**
 * `npm run bench`: client_credentials issuance, Tollgate against bare
 * oidc-provider measured in the same run on the same machine, printed as
 * absolute figures and as a ratio. Prints numbers only; asserts nothing.
 *
 * BENCH_SECONDS (default 10), BENCH_CONNECTIONS (default 16) and
 * BENCH_ROUNDS (default 3, for the limits + audit on/off comparison) tune a run;
 * PostgreSQL is included when BENCH_DATABASE_URL (or TEST_DATABASE_URL) is set,
 * with `tollgate serve` at 1 and at 2 workers (cluster mode).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { freePort } from '../../test/helpers/server.js';
import type { BenchTarget } from './bench-server.js';
import { measureProviderSwap } from './provider-swap.js';
import { benchResourceServer } from './resource-server.js';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 10);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 16);
const postgresUrl = process.env['BENCH_DATABASE_URL'] ?? process.env['TEST_DATABASE_URL'];
const redisUrl = process.env['BENCH_REDIS_URL'] ?? process.env['TEST_REDIS_URL'];

interface Result {
  scenario: string;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  rssMiB: number;
  /** Server CPU time (user + system) per request: steadier than req/s on a shared VM. */
  cpuMicrosPerRequest: number;
}

type TargetKind = 'bare' | 'tollgate' | 'serve';

async function startTarget(kind: TargetKind, env: Record<string, string>): Promise<{ child: ChildProcess; target: BenchTarget }> {
  const port = await freePort();
  const child = fork(fileURLToPath(new URL('./bench-server.js', import.meta.url)), [kind, String(port)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const target = await new Promise<BenchTarget>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
    child.on('message', (message: { type: string; target?: BenchTarget }) => {
      if (message.type === 'ready' && message.target) resolve(message.target);
    });
  });
  return { child, target };
}

interface ServerStats {
  rss: number;
  cpuMicros: number;
}

async function statsOf(child: ChildProcess): Promise<ServerStats> {
  return new Promise((resolve) => {
    const onMessage = (message: { type: string; rss?: number; cpuMicros?: number }) => {
      if (message.type !== 'stats') return;
      child.off('message', onMessage);
      resolve({ rss: message.rss ?? 0, cpuMicros: message.cpuMicros ?? 0 });
    };
    child.on('message', onMessage);
    child.send('stats');
  });
}

type Endpoint = 'token' | 'api-key-introspection';

/** The form a scenario posts: a client_credentials grant, or an API-key introspection. */
function formFor(endpoint: Endpoint, target: BenchTarget): { path: string; form: Record<string, string> } {
  if (endpoint === 'token') return { path: '/token', form: { grant_type: 'client_credentials', scope: 'read', resource: target.audience } };
  return { path: '/token/introspection', form: { token: target.apiKey!, token_type_hint: 'api_key' } };
}

async function measure(scenario: string, kind: TargetKind, env: Record<string, string> = {}, endpoint: Endpoint = 'token'): Promise<Result> {
  const { child, target } = await startTarget(kind, env);
  try {
    const basic = Buffer.from(`${encodeURIComponent(target.clientId)}:${encodeURIComponent(target.clientSecret)}`).toString('base64');
    const { path, form } = formFor(endpoint, target);
    const request = {
      method: 'POST' as const,
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` },
      body: new URLSearchParams(form).toString(),
    };
    // Warm-up: JIT, connection pools, and (for Tollgate) the credential cache.
    await autocannon({ url: `${target.url}${path}`, ...request, connections: 4, duration: 2 });
    const before = await statsOf(child);
    const result = await autocannon({ url: `${target.url}${path}`, ...request, connections: CONNECTIONS, duration: SECONDS });
    const after = await statsOf(child);
    return {
      scenario,
      requestsPerSecond: Math.round(result.requests.average),
      p50: result.latency.p50,
      p99: result.latency.p99,
      errors: result.errors,
      non2xx: result.non2xx,
      rssMiB: Math.round(after.rss / 1024 / 1024),
      cpuMicrosPerRequest: Math.round((after.cpuMicros - before.cpuMicros) / Math.max(1, result.requests.total)),
    };
  } finally {
    // Let it exit by itself (a BENCH_PROFILE_DIR profile is written on exit), then make sure.
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.send('exit');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
    child.kill();
  }
}

async function withPostgresDatabase<T>(run: (url: string) => Promise<T>): Promise<T> {
  const name = `tollgate_bench_${Date.now()}`;
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(postgresUrl!);
  url.pathname = `/${name}`;
  try {
    return await run(url.toString());
  } finally {
    const cleanup = new pg.Client({ connectionString: postgresUrl });
    await cleanup.connect();
    await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await cleanup.end();
  }
}

function print(title: string, results: Result[], ceiling: Result): void {
  console.log(`\n${title}, ${CONNECTIONS} connections, ${SECONDS} s each (node ${process.version})\n`);
  console.log(`${'scenario'.padEnd(52)}    req/s   p50 ms   p99 ms   errors  rss MiB  cpu µs/req  vs ${ceiling.scenario.split(' ')[0]}`);
  for (const result of results) {
    const ratio = (result.requestsPerSecond / ceiling.requestsPerSecond).toFixed(2);
    console.log(
      `${result.scenario.padEnd(52)} ${String(result.requestsPerSecond).padStart(7)} ${String(result.p50).padStart(8)} ${String(result.p99).padStart(8)} ${String(result.errors + result.non2xx).padStart(8)} ${String(result.rssMiB).padStart(8)} ${String(result.cpuMicrosPerRequest).padStart(11)}  ${ratio}`,
    );
  }
}

const results: Result[] = [];
const ceiling = await measure('bare oidc-provider (memory adapter)', 'bare');
results.push(ceiling);
// On a shared 2-core VM one run of each varies by more than the cost being
// measured, so on/off are interleaved over BENCH_ROUNDS rounds and the median kept.
const rounds = Math.max(1, Number(process.env['BENCH_ROUNDS'] ?? 3));
const policyRuns: Record<'on' | 'off' | 'redis', Result[]> = { on: [], off: [], redis: [] };
for (let round = 0; round < rounds; round += 1) {
  policyRuns.on.push(await measure('tollgate sqlite, argon2 + cache', 'tollgate', { BENCH_DATABASE: 'sqlite' }));
  policyRuns.off.push(await measure('  same, limits + audit off', 'tollgate', { BENCH_DATABASE: 'sqlite', TOLLGATE_RATE_LIMITS: 'off', TOLLGATE_AUDIT_TOKEN_EVENTS: 'off' }));
  if (redisUrl) policyRuns.redis.push(await measure('  same, limits in Redis', 'tollgate', { BENCH_DATABASE: 'sqlite', REDIS_URL: redisUrl }));
}
const median = (runs: Result[]): Result => {
  const sorted = [...runs].sort((a, b) => a.cpuMicrosPerRequest - b.cpuMicrosPerRequest);
  const middle = sorted[Math.floor(sorted.length / 2)]!;
  return { ...middle, scenario: `${middle.scenario}${runs.length > 1 ? ` (median of ${runs.length})` : ''}` };
};
const policyOn = median(policyRuns.on);
const policyOff = median(policyRuns.off);
const policyRedis = policyRuns.redis.length ? median(policyRuns.redis) : undefined;
results.push(policyOn, policyOff, ...(policyRedis ? [policyRedis] : []));
results.push(await measure('tollgate sqlite, argon2, cache off', 'tollgate', { BENCH_DATABASE: 'sqlite', TOLLGATE_CREDENTIAL_CACHE_TTL: '0' }));
if (postgresUrl) {
  results.push(await withPostgresDatabase((url) => measure('tollgate postgres, argon2 + cache', 'tollgate', { BENCH_DATABASE: url })));
  results.push(await withPostgresDatabase((url) => measure('tollgate postgres, argon2, cache off', 'tollgate', { BENCH_DATABASE: url, TOLLGATE_CREDENTIAL_CACHE_TTL: '0' })));
  // `tollgate serve` itself, one process vs a cluster of two on the same port
  // (CPU and memory summed over the primary and its workers). On a 2-core
  // machine the load generator competes with the workers for the cores.
  for (const workers of ['1', '2']) {
    const scenario = `tollgate serve postgres, ${workers} worker${workers === '1' ? '' : 's'}`;
    results.push(await withPostgresDatabase((url) => measure(scenario, 'serve', { BENCH_DATABASE: url, BENCH_WORKERS: workers })));
  }
} else {
  console.log('(PostgreSQL scenarios skipped: set BENCH_DATABASE_URL or TEST_DATABASE_URL)');
}
print('client_credentials issuance, ES256 JWT (limits + audit on unless noted)', results, ceiling);
const cost = (on: Result) =>
  `${(100 * (1 - on.requestsPerSecond / policyOff.requestsPerSecond)).toFixed(1)} % req/s, ${(100 * (on.cpuMicrosPerRequest / policyOff.cpuMicrosPerRequest - 1)).toFixed(1)} % CPU per request`;
const roundsOf = (runs: Result[]) => runs.map((r) => `${r.requestsPerSecond}/s ${r.cpuMicrosPerRequest} µs`).join(', ');
console.log(`rounds: on ${roundsOf(policyRuns.on)}; off ${roundsOf(policyRuns.off)}${policyRedis ? `; redis ${roundsOf(policyRuns.redis)}` : ''}`);
console.log(`cost of rate limits + token audit events: memory ${cost(policyOn)}${policyRedis ? `, Redis ${cost(policyRedis)}` : ' (Redis scenario skipped: set BENCH_REDIS_URL or TEST_REDIS_URL)'}`);

// BENCH_ONLY=issuance stops here (the scenarios above are the ones tuning work changes).
if (process.env['BENCH_ONLY'] === 'issuance') process.exit(0);

const introspection: Result[] = [];
introspection.push(await measure('api-key introspection, cache warm', 'tollgate', { BENCH_DATABASE: 'sqlite' }, 'api-key-introspection'));
introspection.push(
  await measure('api-key introspection, cache off', 'tollgate', { BENCH_DATABASE: 'sqlite', TOLLGATE_CREDENTIAL_CACHE_TTL: '0' }, 'api-key-introspection'),
);
print('API-key introspection at the server (SQLite; cache off = argon2 for the caller and the key)', introspection, introspection[0]!);

const packageBench = await benchResourceServer(Math.max(2, Math.round(SECONDS / 2)));
console.log('\n@tollgate/resource-server, one core, in process\n');
console.log(`verify(access token)                       ${String(packageBench.verifyOpsPerSecond).padStart(8)} /s`);
console.log(`raw jose.jwtVerify, local key set          ${String(packageBench.joseOpsPerSecond).padStart(8)} /s   verify/jose ${(packageBench.verifyOpsPerSecond / packageBench.joseOpsPerSecond).toFixed(2)}`);
console.log(`verify(API key), warm cache                ${String(packageBench.apiKeyCachedOpsPerSecond).padStart(8)} /s`);

const swap = await measureProviderSwap();
console.log(`\nprovider swap on a key change (read + open keys, build oidc-provider): mean ${swap.meanMs} ms, p99 ${swap.p99Ms} ms`);
