import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { describe, test } from 'node:test';
import * as oidc from 'openid-client';
import { adminSession } from '../admin/fixture.js';
import { csrfOf, EMAIL, PASSWORD, publicClientConfig, seedApps, signInAndConsent, startAuthorization } from '../authcode/fixture.js';
import { databaseVariants } from '../helpers/databases.js';
import { SeededRandom, seedFrom } from '../helpers/seeded-random.js';
import { API, postForm, REPORTS_API, seedMachineClient, startTestServer, type MachineClient, type TestServer } from '../helpers/server.js';
import { sendRaw, type RawOutcome } from './raw-http.js';
import { describeRequest, RequestGenerator, type FuzzRequest } from './requests.js';
import type { FuzzTargets } from './vocabulary.js';

/*
 * Random requests at every endpoint Tollgate serves, from a seeded
 * generator: `FUZZ_SEED=<n>` replays a run (`FUZZ_SEED=random` draws a new
 * seed, printed), `FUZZ_REQUESTS=<n>` sets how many (SQLite; PostgreSQL
 * sends a third). No answer may be a 5xx (nothing is down here, so not
 * even 503), none may hang, and afterwards a legitimate token request
 * works as fast as before and is in the audit log.
 *
 * Limits: the server runs with rate limits ON and TOLLGATE_TRUST_PROXY=loopback,
 * so X-Forwarded-For picks the address bucket. The fuzzer sends from its
 * own pool of addresses (and junk X-Forwarded-For, which falls back to
 * 127.0.0.1), so 429s are expected and fine; the legitimate probe comes
 * from TEST-NET-2 addresses the fuzzer never uses, with a client the
 * fuzzer never names. The per-address request limit is lowered to
 * 12/min: enough for the setup's own gated requests from 127.0.0.1 (two
 * admin tokens, two authorization requests, a code exchange, a machine
 * token), few enough that the fuzzer's one busy address gets 429s (the
 * 429 path is fuzzed too), while each probe comes from an address of its own. The
 * per-client failed-authentication limit is
 * raised so the fuzzer's wrong secrets do not lock its known clients for
 * the whole run (that lock-out is by design and would only hide the
 * deeper code paths).
 */

const SEED = seedFrom('FUZZ_SEED', 20_261_202);
const REQUESTS = countFrom('FUZZ_REQUESTS', 1_200);
const CONCURRENCY = countFrom('FUZZ_CONCURRENCY', 6);
/** No other suite uses this Redis database (they use TEST_REDIS_URL's). */
const FUZZ_REDIS_DATABASE = 13;
/** Longer than any legitimate answer on a loaded machine (argon2 included); shorter means a hang. */
const REQUEST_TIMEOUT_MS = 10_000;
const PROBE_RUNS = 5;

function countFrom(variable: string, fallback: number): number {
  const given = process.env[variable]?.trim();
  if (!given) return fallback;
  const count = Number(given);
  if (!Number.isInteger(count) || count < 1) throw new Error(`${variable} must be a positive integer; got "${given}"`);
  return count;
}

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

interface Finding {
  readonly index: number;
  readonly request: FuzzRequest;
  readonly outcome: RawOutcome;
}

/** A problem is a 5xx, a hang, or a dropped connection where an HTTP answer was due. */
function isProblem(request: FuzzRequest, outcome: RawOutcome): boolean {
  if (outcome.kind === 'response') return outcome.status >= 500;
  if (outcome.kind === 'timeout') return true;
  // A body announced longer than sent, then half-closed: closing without an answer is a fair reply.
  return request.framing !== 'short';
}

/** Stack frames (`    at fn (file:line:col)`) in a log line or stderr output. */
const STACK_FRAME = /(?:\\n|\n)\s+at [^\s]+ \(?[^)]*:\d+:\d+\)?|"stack"\s*:/;

/** Everything the fuzzer aims at, seeded through the registry and real flows. */
async function seedTargets(server: TestServer, addresses: readonly string[]): Promise<FuzzTargets> {
  const apps = await seedApps(server);
  const admin = await adminSession(server);
  const tenantAdmin = await adminSession(server, { tenant: 'acme' });
  const { apiKey, key } = await server.apiKeys.keys.create({ tenant: 'acme', name: 'fuzz-key', resources: [API], scopes: ['read:projects'] });
  const keys = await admin.call('GET', '/signing-keys');
  const kid = String(keys.body.data?.[0]?.['kid']);

  // A signed-in user's tokens (access, refresh, ID token) through the real pages.
  const config = await publicClientConfig(server, apps.publicClientId);
  const start = await startAuthorization(config, apps.redirectUri);
  const callback = await signInAndConsent(server, start);
  const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
  const machineToken = await postForm(`${server.url}/token`, { grant_type: 'client_credentials', resource: API }, apps.machine);
  assert.equal(machineToken.status, 200);

  // A sign-in left open at its login page: the interaction routes' real uid and cookies.
  const second = await startAuthorization(config, apps.redirectUri);
  const started = await fetch(second.url, { redirect: 'manual' });
  const location = started.headers.get('location') ?? '';
  const uid = /\/interaction\/([^/?]+)/.exec(location)?.[1];
  assert.ok(uid, `an interaction was started (${started.status} ${location})`);
  const cookie = started.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ');
  const loginPage = await (await fetch(new URL(location, server.url), { headers: { cookie } })).text();

  return {
    issuer: server.issuer,
    tenantSlug: 'acme',
    tenantId: apps.machine.tenantId,
    clients: [apps.machine, apps.webClient, { clientId: apps.publicClientId }, admin, tenantAdmin],
    userId: apps.userId,
    email: EMAIL,
    password: PASSWORD,
    apiKeyId: apiKey.id,
    kid,
    redirectUri: apps.redirectUri,
    audiences: [API, REPORTS_API, 'https://api.globex.test', server.issuer, 'urn:tollgate:admin', ''],
    scopes: ['read:projects', 'write:projects', 'read:reports', 'openid', 'email', 'offline_access', 'tollgate:admin', 'tollgate:tenant-admin', 'nope'],
    tokens: [tokens.access_token, tokens.refresh_token ?? 'no-refresh', tokens.id_token ?? 'no-id-token', String(machineToken.body['access_token']), key, admin.token, tenantAdmin.token],
    adminTokens: [admin.token, tenantAdmin.token],
    interaction: { uid, cookie, csrf: csrfOf(loginPage) },
    codeChallenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
    addresses,
  };
}

/** The fuzzer's own addresses: IPv4 in 10.77/16 and IPv6 in distinct /64s; one busy address sends a third of the requests. */
function fuzzerAddresses(random: SeededRandom): string[] {
  return [
    ...Array.from({ length: 20 }, () => '10.77.255.1'),
    ...Array.from({ length: 30 }, (_, index) => `10.77.${index}.${random.between(1, 254)}`),
    ...Array.from({ length: 10 }, (_, index) => `2001:db8:77:${index.toString(16)}::${random.between(1, 0xffff).toString(16)}`),
  ];
}

/**
 * A client_credentials request by the probe client, each from an address
 * of TEST-NET-2 (198.51.100.0/24), which the fuzzer never uses: status and
 * milliseconds. Not from the seeded generator: a fresh start per run, so
 * Redis counters of an earlier run cannot touch it.
 */
let probeAddress = randomInt(0, 254);
async function probe(server: TestServer, client: MachineClient): Promise<{ status: number; ms: number; body: Record<string, unknown> }> {
  probeAddress = (probeAddress + 1) % 254;
  const started = performance.now();
  const response = await postForm(`${server.url}/token`, { grant_type: 'client_credentials', resource: API }, client, { 'x-forwarded-for': `198.51.100.${probeAddress + 1}` });
  return { status: response.status, ms: performance.now() - started, body: response.body };
}

/** Error lines of the server log, each with the request line of the same request (method, path, status). */
function errorsInLog(logLines: readonly string[]): string[] {
  return logLines.flatMap((line, index) => {
    if (!/"level":"(error|fatal)"/.test(line)) return [];
    // The request line follows its error line (clients may reuse an X-Request-Id).
    const requestId = /"requestId":"([^"]+)"/.exec(line)?.[1];
    const request = requestId ? logLines.slice(index).find((other) => other.includes(`"requestId":"${requestId}"`) && other.includes('"message":"request"')) : undefined;
    return [`${line.trim()}${request ? ` ← ${request.trim()}` : ''}`];
  });
}

async function issuedEvents(server: TestServer, clientId: string): Promise<number> {
  const [row] = await server.database.knex('audit_events').where({ type: 'token.issued', subject: clientId }).count({ n: '*' });
  return Number(row?.['n'] ?? 0);
}

for (const { kind, skip } of databaseVariants) {
  const requests = kind === 'sqlite' ? REQUESTS : Math.max(1, Math.round(REQUESTS / 3));
  // Set-up and checks take seconds; the fuzz itself grows with the count (about 10 ms a request on a loaded 2-core machine).
  describe(`fuzz: random requests at every endpoint (${kind})`, { skip, timeout: 60_000 + requests * 40 }, () => {
    test(`${requests} requests, seed ${SEED}: no 5xx, no hang, a legitimate request still works and is audited`, async () => {
      console.log(`# fuzz (${kind}): FUZZ_SEED=${SEED} FUZZ_REQUESTS=${REQUESTS} FUZZ_CONCURRENCY=${CONCURRENCY}`);
      const logLines: string[] = [];
      const redisUrl = kind === 'postgres' ? process.env['TEST_REDIS_URL'] : undefined;
      // A Redis database of the fuzz's own: suites running beside it count
      // requests from 127.0.0.1 too, and in a shared database their counts
      // would spend the setup's 12/min before it starts.
      const redis: Record<string, string> = redisUrl ? { REDIS_URL: Object.assign(new URL(redisUrl), { pathname: `/${FUZZ_REDIS_DATABASE}` }).href } : {};
      const server = await startTestServer(kind, {
        logLines,
        env: {
          TOLLGATE_RATE_LIMITS: 'on',
          TOLLGATE_TRUST_PROXY: 'loopback',
          TOLLGATE_RATE_LIMIT_IP: '12/min',
          TOLLGATE_RATE_LIMIT_AUTH_FAILURES: '100000/min',
          ...redis,
        },
      });
      const stderr: string[] = [];
      const writeStderr = process.stderr.write.bind(process.stderr);
      try {
        const random = new SeededRandom(SEED);
        const targets = await seedTargets(server, fuzzerAddresses(random));
        const probeClient = await seedMachineClient(server);

        assert.equal((await probe(server, probeClient)).status, 200, 'warm-up');
        const before: number[] = [];
        for (let run = 0; run < PROBE_RUNS; run += 1) before.push((await probe(server, probeClient)).ms);

        const generator = new RequestGenerator(random, targets);
        const generated = Array.from({ length: requests }, () => generator.next());
        // FUZZ_ONLY=12,345 replays just those requests of the seed's sequence, one at a time.
        const only = new Set((process.env['FUZZ_ONLY'] ?? '').split(',').filter(Boolean).map(Number));
        const planned = only.size ? generated.map((request, index) => ({ request, index })).filter(({ index }) => only.has(index)) : generated.map((request, index) => ({ request, index }));
        const findings: Finding[] = [];
        const statuses = new Map<string, number>();
        const probesDuring: string[] = [];
        process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
          stderr.push(String(chunk));
          return writeStderr(chunk, ...rest);
        }) as typeof process.stderr.write;

        const port = Number(new URL(server.url).port);
        let nextIndex = 0;
        let done = false;
        const started = performance.now();
        const workers = Array.from({ length: only.size ? 1 : CONCURRENCY }, async () => {
          while (nextIndex < planned.length) {
            const { request, index } = planned[nextIndex++]!;
            const outcome = await sendRaw(port, request, REQUEST_TIMEOUT_MS);
            const label = outcome.kind === 'response' ? String(outcome.status) : outcome.kind;
            statuses.set(label, (statuses.get(label) ?? 0) + 1);
            if (isProblem(request, outcome)) findings.push({ index, request, outcome });
            if (only.size) console.log(`# #${index} ${JSON.stringify(outcome)}\n#   ${describeRequest(request, 100_000)}`);
          }
        });
        // A legitimate request now and then while the fuzz runs: it must never fail.
        const prober = (async () => {
          while (!done) {
            const answer = await probe(server, probeClient);
            if (answer.status !== 200) probesDuring.push(`${answer.status} ${JSON.stringify(answer.body)}`);
            await new Promise((resolve) => setTimeout(resolve, 1_000));
          }
        })();
        await Promise.all(workers);
        done = true;
        await prober;
        const fuzzMs = performance.now() - started;
        process.stderr.write = writeStderr;
        console.log(`# fuzz (${kind}): ${requests} requests in ${Math.round(fuzzMs)} ms; answers ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);

        // Shown before the first assertion, which would hide them.
        for (const line of errorsInLog(logLines).slice(0, 10)) console.log(`# server error log: ${line}`);
        const report = findings
          .slice(0, 25)
          .map(({ index, request, outcome }) => `#${index} ${JSON.stringify(outcome).slice(0, 300)}\n    ${describeRequest(request)}`)
          .join('\n');
        assert.equal(findings.length, 0, `FUZZ_SEED=${SEED}: ${findings.length} requests got a 5xx, hung or were dropped:\n${report}`);
        assert.deepEqual(probesDuring, [], 'a legitimate token request failed while the fuzz ran');

        // Afterwards: the same request works, about as fast as before, and is audited.
        // The probes during the fuzz may still be queued for the batch writer.
        await server.auditBatches.flush();
        const issuedBefore = await issuedEvents(server, probeClient.clientId);
        const after: number[] = [];
        for (let run = 0; run < PROBE_RUNS; run += 1) {
          const answer = await probe(server, probeClient);
          assert.equal(answer.status, 200, `a legitimate token request after the fuzz: ${JSON.stringify(answer.body)}`);
          after.push(answer.ms);
        }
        console.log(`# fuzz (${kind}): legitimate token request, median ${median(before).toFixed(1)} ms before, ${median(after).toFixed(1)} ms after`);
        assert.ok(median(after) <= 5 * median(before) + 200, `a legitimate token request slowed down: ${median(before).toFixed(1)} ms → ${median(after).toFixed(1)} ms`);
        await server.auditBatches.flush();
        assert.equal(
          await issuedEvents(server, probeClient.clientId),
          issuedBefore + PROBE_RUNS,
          `every token issued after the fuzz has its token.issued audit row; server errors: ${errorsInLog(logLines).slice(0, 3).join('\n')}`,
        );
        assert.equal((await fetch(`${server.url}/readyz`)).status, 200);

        const stackLines = [...logLines, ...stderr].filter((line) => STACK_FRAME.test(line));
        assert.deepEqual(stackLines.slice(0, 5), [], 'no stack trace in the server log');
        const errorLines = errorsInLog(logLines);
        assert.deepEqual(errorLines.slice(0, 10), [], 'no error in the server log');
      } finally {
        process.stderr.write = writeStderr;
        await server.stop();
      }
    });
  });
}
