/**
 * `npm run bench`: every scenario against its ceiling measured in the same
 * run on the same machine (bare oidc-provider, memory adapter), printed as
 * tables, written to bench/results/<date>.json and drawn in
 * bench/results/latest.svg. Prints numbers only; asserts nothing.
 *
 * BENCH_SECONDS (default 5), BENCH_CONNECTIONS (default 16), BENCH_ROUNDS
 * (default 3, for the interleaved and the side-by-side limits + audit
 * on/off comparisons, and the side-by-side durable audit on/off), BENCH_WARMUP_SECONDS (default 1) and
 * BENCH_COLD_STARTS (default 3) tune a run; PostgreSQL is included when
 * BENCH_DATABASE_URL (or TEST_DATABASE_URL) is set, Redis when
 * BENCH_REDIS_URL (or TEST_REDIS_URL) is. BENCH_ONLY=issuance stops after
 * the issuance table (and writes no results file); `--readme` also updates
 * the table in docs/benchmarks.md.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { renderChart } from './chart.js';
import { measureColdStart } from './cold-start.js';
import { CONNECTIONS, measure, measureSideBySide, median, SECONDS, type Contender, type Result } from './measure.js';
import { measureProviderSwap } from './provider-swap.js';
import { updateReadme } from './readme.js';
import { benchResourceServer } from './resource-server.js';
import { group, RESULTS_DIR, writeRun, type ResultGroup } from './results.js';
import { keyBackendContenders } from './key-backend.js';

const runStarted = performance.now();
const postgresUrl = process.env['BENCH_DATABASE_URL'] ?? process.env['TEST_DATABASE_URL'];
const redisUrl = process.env['BENCH_REDIS_URL'] ?? process.env['TEST_REDIS_URL'];
const rounds = Math.max(1, Number(process.env['BENCH_ROUNDS'] ?? 3));
const coldStarts = Math.max(1, Number(process.env['BENCH_COLD_STARTS'] ?? 3));
const settings = { seconds: SECONDS, connections: CONNECTIONS };
const SQLITE = { BENCH_DATABASE: 'sqlite' };
/** Rows of oidc_models for the "large table" scenarios. */
const LARGE_TABLE = 1_000_000;
const SMALL_TABLE = 1_000;

let databasesCreated = 0;
async function withPostgresDatabase<T>(run: (url: string) => Promise<T>): Promise<T> {
  databasesCreated += 1;
  const name = `tollgate_bench_${Date.now()}_${databasesCreated}`;
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

function print(title: string, results: readonly Result[], ceiling: Result): void {
  console.log(`\n${title}, ${CONNECTIONS} connections, ${SECONDS} s each (node ${process.version})\n`);
  console.log(`${'scenario'.padEnd(52)}    req/s   p50 ms   p99 ms   errors  rss MiB  cpu µs/req  vs ${ceiling.scenario.split(' ')[0]}`);
  for (const result of results) {
    const ratio = (result.requestsPerSecond / ceiling.requestsPerSecond).toFixed(2);
    console.log(
      `${result.scenario.padEnd(52)} ${String(result.requestsPerSecond).padStart(7)} ${String(result.p50).padStart(8)} ${String(result.p99).padStart(8)} ${String(result.errors).padStart(8)} ${String(result.rssMiB).padStart(8)} ${String(result.cpuMicrosPerRequest).padStart(11)}  ${ratio}`,
    );
  }
}

const groups: ResultGroup[] = [];
function report(title: string, ceiling: Result, results: readonly Result[]): void {
  print(title, results, ceiling);
  groups.push(group(title, ceiling, results, settings));
}

// --- Issuance: Tollgate against bare oidc-provider ---------------------------
const ceiling = await measure('bare oidc-provider (memory adapter)', 'bare');
// On a shared 2-core VM one run of each varies by more than the cost being
// measured, so on/off are interleaved over BENCH_ROUNDS rounds: the table
// shows the median run of each, the cost line the median of per-round ratios.
const policyRuns: Record<'on' | 'off' | 'redis', Result[]> = { on: [], off: [], redis: [] };
/** The three policy scenarios, measured one after the other here and side by side below. */
const policyContenders: Record<'on' | 'off' | 'redis', Contender> = {
  on: { scenario: 'tollgate sqlite, argon2 + cache', kind: 'tollgate', env: SQLITE },
  off: { scenario: '  same, limits + audit off', kind: 'tollgate', env: { ...SQLITE, TOLLGATE_RATE_LIMITS: 'off', TOLLGATE_AUDIT_TOKEN_EVENTS: 'off' } },
  redis: { scenario: '  same, limits in Redis', kind: 'tollgate', env: { ...SQLITE, REDIS_URL: redisUrl ?? '' } },
};
for (let round = 0; round < rounds; round += 1) {
  // The order alternates (on, off, redis / redis, off, on) so a machine that
  // slows down or speeds up during the run does not always favour one side.
  const order: ('on' | 'off' | 'redis')[] = redisUrl ? ['on', 'off', 'redis'] : ['on', 'off'];
  if (round % 2 === 1) order.reverse();
  for (const which of order) {
    const { scenario, kind, env } = policyContenders[which];
    policyRuns[which].push(await measure(scenario, kind, env));
  }
}
const policyOn = median(policyRuns.on);
const policyOff = median(policyRuns.off);
const policyRedis = policyRuns.redis.length ? median(policyRuns.redis) : undefined;
const issuance: Result[] = [ceiling, policyOn, policyOff, ...(policyRedis ? [policyRedis] : [])];
issuance.push(await measure('tollgate sqlite, argon2, cache off', 'tollgate', { ...SQLITE, TOLLGATE_CREDENTIAL_CACHE_TTL: '0' }));
if (postgresUrl) {
  issuance.push(await withPostgresDatabase((url) => measure('tollgate postgres, argon2 + cache', 'tollgate', { BENCH_DATABASE: url })));
  issuance.push(await withPostgresDatabase((url) => measure('tollgate postgres, argon2, cache off', 'tollgate', { BENCH_DATABASE: url, TOLLGATE_CREDENTIAL_CACHE_TTL: '0' })));
  // `tollgate serve` itself, one process vs a cluster of two on the same port
  // (CPU and memory summed over the primary and its workers). On a 2-core
  // machine the load generator competes with the workers for the cores.
  for (const workers of ['1', '2']) {
    const scenario = `tollgate serve postgres, ${workers} worker${workers === '1' ? '' : 's'}`;
    issuance.push(await withPostgresDatabase((url) => measure(scenario, 'serve', { BENCH_DATABASE: url, BENCH_WORKERS: workers })));
  }
} else {
  console.log('(PostgreSQL scenarios skipped: set BENCH_DATABASE_URL or TEST_DATABASE_URL)');
}
report('client_credentials issuance, ES256 JWT (limits + audit on unless noted)', ceiling, issuance);
// Each round's runs sit next to each other in time, so the cost is taken per
// round (on ÷ off of the same round) and the median of those kept: a noisy
// neighbour slows both runs of a round alike, where the ratio of the two
// medians would mix runs from quiet and busy moments.
const pairedCost = (runs: readonly Result[], offRuns: readonly Result[], pick: (result: Result) => number, invert: boolean) => {
  const ratios = runs.map((run, index) => {
    const ratio = pick(run) / pick(offRuns[index]!);
    return 100 * (invert ? 1 - ratio : ratio - 1);
  });
  return [...ratios].sort((a, b) => a - b)[Math.floor(ratios.length / 2)]!;
};
const cpuCost = (runs: readonly Result[], offRuns: readonly Result[]) => Math.round(10 * pairedCost(runs, offRuns, (r) => r.cpuMicrosPerRequest, false)) / 10;
const cost = (runs: readonly Result[], offRuns: readonly Result[] = policyRuns.off) =>
  `${cpuCost(runs, offRuns).toFixed(1)} % CPU per request, ${pairedCost(runs, offRuns, (r) => r.requestsPerSecond, true).toFixed(1)} % req/s`;
const roundsOf = (runs: Result[]) => runs.map((r) => `${r.requestsPerSecond}/s ${r.cpuMicrosPerRequest} µs`).join(', ');
console.log(`rounds: on ${roundsOf(policyRuns.on)}; off ${roundsOf(policyRuns.off)}${policyRedis ? `; redis ${roundsOf(policyRuns.redis)}` : ''}`);
console.log(
  `cost of rate limits + token audit events, one run after the other (median of ${rounds} rounds): memory ${cost(policyRuns.on)}${policyRedis ? `; Redis ${cost(policyRuns.redis)}` : ' (Redis scenario skipped: set BENCH_REDIS_URL or TEST_REDIS_URL)'}`,
);

// The same cost side by side: on and off loaded at the same moment (each
// with its own connections), so the VM's drift between runs, larger than
// the cost itself, touches both alike. The sides swap places every round.
const sideBySide: Record<'on' | 'redis', { with: Result[]; off: Result[] }> = { on: { with: [], off: [] }, redis: { with: [], off: [] } };
for (let round = 0; round < rounds; round += 1) {
  for (const which of redisUrl ? (['on', 'redis'] as const) : (['on'] as const)) {
    const { [which]: contender, off } = policyContenders;
    const pair = round % 2 === 0 ? [contender, off] : [off, contender];
    const results = await measureSideBySide(pair);
    sideBySide[which].with.push(results[pair.indexOf(contender)]!);
    sideBySide[which].off.push(results[pair.indexOf(off)]!);
  }
}
const sideRounds = (which: 'on' | 'redis') =>
  sideBySide[which].with.map((run, index) => `${run.cpuMicrosPerRequest}/${sideBySide[which].off[index]!.cpuMicrosPerRequest} µs`).join(', ');
console.log(`side-by-side rounds (with/off CPU per request): memory ${sideRounds('on')}${redisUrl ? `; Redis ${sideRounds('redis')}` : ''}`);
console.log(
  `cost of rate limits + token audit events, side by side (median of ${rounds} rounds): memory ${cost(sideBySide.on.with, sideBySide.on.off)}${redisUrl ? `; Redis ${cost(sideBySide.redis.with, sideBySide.redis.off)}` : ''}`,
);

// The durable audit alone: token events committed before each answer (group
// commit) against no token events, limits off on both sides, side by side.
// Its price is mostly waiting, not CPU, so latency is printed beside it.
const auditOff = { TOLLGATE_RATE_LIMITS: 'off', TOLLGATE_AUDIT_TOKEN_EVENTS: 'off' };
const auditOn = { TOLLGATE_RATE_LIMITS: 'off' };
/**
 * On/off side by side over BENCH_ROUNDS rounds. `databases` gives each
 * round's pair its own databases: every bench server seals its keys under a
 * secret of its own, so a database is never reused across servers.
 */
async function durableAuditCost(label: string, databases: <T>(run: (on: string, off: string) => Promise<T>) => Promise<T>): Promise<{ with: Result[]; off: Result[] }> {
  const runs: { with: Result[]; off: Result[] } = { with: [], off: [] };
  for (let round = 0; round < rounds; round += 1) {
    const results = await databases(async (onDatabase, offDatabase) => {
      const contender: Contender = { scenario: `tollgate ${label}, durable audit on`, kind: 'tollgate', env: { BENCH_DATABASE: onDatabase, ...auditOn } };
      const off: Contender = { scenario: '  same, audit off', kind: 'tollgate', env: { BENCH_DATABASE: offDatabase, ...auditOff } };
      const pair = round % 2 === 0 ? [contender, off] : [off, contender];
      const measured = await measureSideBySide(pair);
      return { with: measured[pair.indexOf(contender)]!, off: measured[pair.indexOf(off)]! };
    });
    runs.with.push(results.with);
    runs.off.push(results.off);
  }
  const latency = (sideRuns: readonly Result[], pick: (result: Result) => number) => [...sideRuns.map(pick)].sort((a, b) => a - b)[Math.floor(sideRuns.length / 2)]!;
  console.log(
    `durable audit side-by-side rounds, ${label} (on/off): ${runs.with.map((run, index) => `${run.requestsPerSecond}/${runs.off[index]!.requestsPerSecond} req/s ${run.cpuMicrosPerRequest}/${runs.off[index]!.cpuMicrosPerRequest} µs p50 ${run.p50}/${runs.off[index]!.p50} ms`).join(', ')}`,
  );
  console.log(
    `cost of the durable audit (token events committed before the answer), ${label}, side by side (median of ${rounds} rounds): ${cost(runs.with, runs.off)}; p50 ${latency(runs.with, (r) => r.p50)} vs ${latency(runs.off, (r) => r.p50)} ms, p99 ${latency(runs.with, (r) => r.p99)} vs ${latency(runs.off, (r) => r.p99)} ms`,
  );
  return runs;
}
const durableAudit: Record<string, { with: Result[]; off: Result[] }> = {
  // A fresh SQLite file per server already.
  sqlite: await durableAuditCost('sqlite', (run) => run('sqlite', 'sqlite')),
};
if (postgresUrl) {
  durableAudit['postgres'] = await durableAuditCost('postgres', (run) => withPostgresDatabase((on) => withPostgresDatabase((off) => run(on, off))));
}

/** The cost figures for the results file and the README, % CPU per request (median of the rounds). */
const costFigures: Record<string, number> = {
  ...Object.fromEntries(Object.entries(durableAudit).map(([database, runs]) => [`durable audit cost, ${database}, side by side, % CPU/req`, cpuCost(runs.with, runs.off)])),
  'limits + audit cost, memory, side by side, % CPU/req': cpuCost(sideBySide.on.with, sideBySide.on.off),
  'limits + audit cost, memory, one run after the other, % CPU/req': cpuCost(policyRuns.on, policyRuns.off),
  ...(redisUrl
    ? {
        'limits + audit cost, Redis, side by side, % CPU/req': cpuCost(sideBySide.redis.with, sideBySide.redis.off),
        'limits + audit cost, Redis, one run after the other, % CPU/req': cpuCost(policyRuns.redis, policyRuns.off),
      }
    : {}),
};

// BENCH_ONLY=issuance stops here (the scenarios above are the ones tuning work changes).
if (process.env['BENCH_ONLY'] === 'issuance') process.exit(0);

// --- Introspection at the server ---------------------------------------------
const introspectionCeiling = await measure('bare oidc-provider, opaque token', 'bare', {}, 'opaque-introspection');
report('Introspection at the server (SQLite; the caller authenticates with its secret)', introspectionCeiling, [
  introspectionCeiling,
  await measure('tollgate, opaque token', 'tollgate', SQLITE, 'opaque-introspection'),
  await measure('tollgate, JWT access token', 'tollgate', SQLITE, 'jwt-introspection'),
  await measure('tollgate, API key, cache warm', 'tollgate', SQLITE, 'api-key-introspection'),
  await measure('tollgate, API key, cache off (argon2 twice)', 'tollgate', { ...SQLITE, TOLLGATE_CREDENTIAL_CACHE_TTL: '0' }, 'api-key-introspection'),
]);

// --- Issuance with the signing key in a PKCS#11 token ------------------------
const keyBackends = keyBackendContenders(SQLITE);
if (keyBackends) {
  try {
    const [database, pkcs11] = await measureSideBySide(keyBackends.contenders);
    report('client_credentials issuance, ES256 JWT: key sealed in the database vs in SoftHSM, side by side', database!, [database!, pkcs11!]);
  } finally {
    keyBackends.remove();
  }
} else {
  console.log('(PKCS#11 scenario skipped: SoftHSM is missing, apt-get install softhsm2)');
}

// --- Issuance of opaque tokens as oidc_models grows --------------------------
const growthCeiling = await measure('bare oidc-provider (memory adapter)', 'bare', {}, 'opaque-token');
const growth: Result[] = [growthCeiling];
const seeded = (rows: number) => ({ BENCH_SEED_ROWS: String(rows) });
growth.push(await measure(`tollgate sqlite, ${SMALL_TABLE.toLocaleString('en')} rows`, 'tollgate', { ...SQLITE, ...seeded(SMALL_TABLE) }, 'opaque-token'));
growth.push(await measure(`tollgate sqlite, ${LARGE_TABLE.toLocaleString('en')} rows`, 'tollgate', { ...SQLITE, ...seeded(LARGE_TABLE) }, 'opaque-token'));
if (postgresUrl) {
  for (const rows of [SMALL_TABLE, LARGE_TABLE]) {
    growth.push(await withPostgresDatabase((url) => measure(`tollgate postgres, ${rows.toLocaleString('en')} rows`, 'tollgate', { BENCH_DATABASE: url, ...seeded(rows) }, 'opaque-token')));
  }
}
report('client_credentials issuance, opaque tokens, by oidc_models size', growthCeiling, growth);
for (const result of growth.filter((r) => r.seededInMs !== undefined)) console.log(`seeding for "${result.scenario}": ${result.seededInMs} ms`);

// --- Single figures -----------------------------------------------------------
const coldStartRuns: number[] = [];
for (let run = 0; run < coldStarts; run += 1) coldStartRuns.push(await measureColdStart());
const coldStartMedian = [...coldStartRuns].sort((a, b) => a - b)[Math.floor(coldStartRuns.length / 2)]!;
console.log(`\ncold start to first token (tollgate serve, fresh SQLite): median ${coldStartMedian} ms (${coldStartRuns.join(', ')} ms)`);

const packageBench = await benchResourceServer(Math.max(2, Math.round(SECONDS / 2)));
console.log('\n@tollgate/resource-server, one core, in process\n');
console.log(`verify(access token)                       ${String(packageBench.verifyOpsPerSecond).padStart(8)} /s`);
console.log(`raw jose.jwtVerify, local key set          ${String(packageBench.joseOpsPerSecond).padStart(8)} /s   verify/jose ${(packageBench.verifyOpsPerSecond / packageBench.joseOpsPerSecond).toFixed(2)}`);
console.log(`verify(API key), warm cache                ${String(packageBench.apiKeyCachedOpsPerSecond).padStart(8)} /s`);

const swap = await measureProviderSwap();
console.log(`\nprovider swap on a key change (read + open keys, build oidc-provider): mean ${swap.meanMs} ms, p99 ${swap.p99Ms} ms`);

const wallSeconds = Math.round((performance.now() - runStarted) / 100) / 10;
const run = {
  date: new Date().toISOString().slice(0, 10),
  node: process.version,
  cores: groups[0]!.scenarios[0]!.cores,
  ...settings,
  rounds,
  postgres: Boolean(postgresUrl),
  redis: Boolean(redisUrl),
  groups,
  coldStartMs: { runs: coldStartRuns, median: coldStartMedian },
  figures: {
    ...costFigures,
    'resource-server verify(access token) per s': packageBench.verifyOpsPerSecond,
    'resource-server raw jose.jwtVerify per s': packageBench.joseOpsPerSecond,
    'resource-server verify(API key), warm cache, per s': packageBench.apiKeyCachedOpsPerSecond,
    ...Object.fromEntries(growth.filter((r) => r.seededInMs !== undefined).map((r) => [`seeding oidc_models for "${r.scenario}", ms`, r.seededInMs!])),
    'provider swap mean ms': swap.meanMs,
    'provider swap p99 ms': swap.p99Ms,
  },
  wallSeconds,
};
const file = writeRun(run);
writeFileSync(join(RESULTS_DIR, 'latest.svg'), renderChart(run));
if (process.argv.includes('--readme')) updateReadme(run);
console.log(`\nresults: ${file}, chart: ${join(RESULTS_DIR, 'latest.svg')}${process.argv.includes('--readme') ? ', docs/benchmarks.md table updated' : ''}`);
console.log(`whole run: ${wallSeconds} s`);
