/**
 * One scenario: a bench server in its own process, warmed up, then loaded by
 * autocannon for BENCH_SECONDS while its CPU time is read before and after.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { closedPort } from '../../test/helpers/server.js';
import type { BenchTarget } from './bench-server.js';

export const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 5);
export const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 16);
const WARM_UP_SECONDS = Number(process.env['BENCH_WARMUP_SECONDS'] ?? 1);

export interface Result {
  scenario: string;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  /** Connection errors plus non-2xx answers. */
  errors: number;
  rssMiB: number;
  /** Server CPU time (user + system) per request: steadier than req/s on a shared VM. */
  cpuMicrosPerRequest: number;
  /** BENCH_SEED_ROWS scenarios: how long seeding oidc_models took. */
  seededInMs?: number;
}

/** What a scenario sends: a client_credentials grant, or an introspection of one kind of token. */
export type Endpoint = 'token' | 'opaque-token' | 'api-key-introspection' | 'jwt-introspection' | 'opaque-introspection';

export type TargetKind = 'bare' | 'tollgate' | 'serve';

async function startTarget(kind: TargetKind, env: Record<string, string>): Promise<{ child: ChildProcess; target: BenchTarget }> {
  const port = await closedPort();
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

/** Sends `request` and resolves with the first answer of type `reply`. */
function ask<T extends { type: string }>(child: ChildProcess, request: string, reply: string): Promise<T> {
  return new Promise((resolve) => {
    const onMessage = (message: T) => {
      if (message.type !== reply) return;
      child.off('message', onMessage);
      resolve(message);
    };
    child.on('message', onMessage);
    child.send(request);
  });
}

async function statsOf(child: ChildProcess): Promise<{ rss: number; cpuMicros: number }> {
  const { rss = 0, cpuMicros = 0 } = await ask<{ type: string; rss?: number; cpuMicros?: number }>(child, 'stats', 'stats');
  return { rss, cpuMicros };
}

const basicAuth = (target: BenchTarget) =>
  `Basic ${Buffer.from(`${encodeURIComponent(target.clientId)}:${encodeURIComponent(target.clientSecret)}`).toString('base64')}`;

/** One access token for `audience`, to be introspected. */
async function issueToken(target: BenchTarget, audience: string): Promise<string> {
  const response = await fetch(`${target.url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(target) },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'read', resource: audience }),
  });
  const body = (await response.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`no token for ${audience}: ${JSON.stringify(body)}`);
  return body.access_token;
}

async function formFor(endpoint: Endpoint, target: BenchTarget): Promise<{ path: string; form: Record<string, string> }> {
  switch (endpoint) {
    case 'token':
      return { path: '/token', form: { grant_type: 'client_credentials', scope: 'read', resource: target.audience } };
    case 'opaque-token':
      return { path: '/token', form: { grant_type: 'client_credentials', scope: 'read', resource: target.opaqueAudience } };
    case 'api-key-introspection':
      return { path: '/token/introspection', form: { token: target.apiKey!, token_type_hint: 'api_key' } };
    case 'jwt-introspection':
      return { path: '/token/introspection', form: { token: await issueToken(target, target.audience) } };
    case 'opaque-introspection':
      return { path: '/token/introspection', form: { token: await issueToken(target, target.opaqueAudience) } };
  }
}

/** A started bench server and the request it will be loaded with. */
interface Prepared {
  readonly scenario: string;
  readonly child: ChildProcess;
  readonly target: BenchTarget;
  readonly request: { url: string; method: 'POST'; headers: Record<string, string>; body: string };
  requests: number;
}

async function prepare(scenario: string, kind: TargetKind, env: Record<string, string>, endpoint: Endpoint): Promise<Prepared> {
  const { child, target } = await startTarget(kind, env);
  try {
    const { path, form } = await formFor(endpoint, target);
    const request = {
      url: `${target.url}${path}`,
      method: 'POST' as const,
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(target) },
      body: new URLSearchParams(form).toString(),
    };
    return { scenario, child, target, request, requests: 0 };
  } catch (error) {
    await finish({ scenario, child, requests: 0 });
    throw error;
  }
}

/** Warm-up: JIT, connection pools, and (for Tollgate) the credential cache. */
async function warmUp(run: Prepared, seconds: number): Promise<void> {
  await autocannon({ ...run.request, connections: 4, duration: seconds });
  await ask(run.child, 'profile', 'profiling');
}

/** Loads one warmed-up server for SECONDS with CONNECTIONS connections. */
async function load(run: Prepared): Promise<Result> {
  const before = await statsOf(run.child);
  const result = await autocannon({ ...run.request, connections: CONNECTIONS, duration: SECONDS });
  const after = await statsOf(run.child);
  run.requests = result.requests.total;
  return {
    scenario: run.scenario,
    requestsPerSecond: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
    rssMiB: Math.round(after.rss / 1024 / 1024),
    cpuMicrosPerRequest: Math.round((after.cpuMicros - before.cpuMicros) / Math.max(1, run.requests)),
    ...(run.target.seededInMs === undefined ? {} : { seededInMs: run.target.seededInMs }),
  };
}

async function finish(run: Pick<Prepared, 'scenario' | 'child' | 'requests'>): Promise<void> {
  // Let it exit by itself (a BENCH_PROFILE_DIR profile is written on exit), then make sure.
  const exited = new Promise((resolve) => run.child.once('exit', resolve));
  run.child.send({ type: 'exit', scenario: run.scenario, requests: run.requests });
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
  run.child.kill();
}

export async function measure(scenario: string, kind: TargetKind, env: Record<string, string> = {}, endpoint: Endpoint = 'token'): Promise<Result> {
  const run = await prepare(scenario, kind, env, endpoint);
  try {
    await warmUp(run, WARM_UP_SECONDS);
    return await load(run);
  } finally {
    await finish(run);
  }
}

/** One scenario of a side-by-side measurement. */
export interface Contender {
  readonly scenario: string;
  readonly kind: TargetKind;
  readonly env: Record<string, string>;
}

/**
 * Loads several servers at the same time, each with its own CONNECTIONS
 * connections: whatever else the machine is doing then slows them alike,
 * so their CPU per request compares within one measurement. (One after the
 * other, a shared VM drifts by more than a small cost between the runs.)
 * Absolute figures are lower than `measure`'s: the servers share the cores.
 */
export async function measureSideBySide(contenders: readonly Contender[], endpoint: Endpoint = 'token'): Promise<Result[]> {
  const runs: Prepared[] = [];
  try {
    for (const { scenario, kind, env } of contenders) runs.push(await prepare(scenario, kind, env, endpoint));
    // Twice the usual warm-up: the servers share the cores while warming up too.
    await Promise.all(runs.map((run) => warmUp(run, 2 * WARM_UP_SECONDS)));
    return await Promise.all(runs.map((run) => load(run)));
  } finally {
    await Promise.all(runs.map((run) => finish(run)));
  }
}

/** The run with the median CPU per request (the steadier figure), named as a median. */
export function median(runs: readonly Result[]): Result {
  const sorted = [...runs].sort((a, b) => a.cpuMicrosPerRequest - b.cpuMicrosPerRequest);
  const middle = sorted[Math.floor(sorted.length / 2)]!;
  return { ...middle, scenario: `${middle.scenario}${runs.length > 1 ? ` (median of ${runs.length})` : ''}` };
}
