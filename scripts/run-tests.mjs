#!/usr/bin/env node
// Runs every compiled test file (dist/**/*.test.js) with node:test, after saying
// which optional suites this machine will skip and why.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

function findTests(dir) {
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...findTests(path));
    else if (entry.name.endsWith('.test.js')) found.push(path);
  }
  return found;
}

const roots = ['dist/test', 'packages/resource-server/dist/test'];
const files = roots.flatMap((root) => {
  try { return findTests(root); } catch { return []; }
}).sort();
const filter = process.argv[2];
const selected = filter ? files.filter((file) => file.includes(filter)) : files;

if (!process.env.TEST_DATABASE_URL) {
  console.log('# PostgreSQL suites will be SKIPPED: TEST_DATABASE_URL is not set (SQLite suites still run)');
}
if (!process.env.TEST_REDIS_URL) {
  console.log('# Redis suites will be SKIPPED: TEST_REDIS_URL is not set (the in-memory limiter still runs)');
}
if (!existsSync('/usr/bin/chromium')) {
  console.log(process.env.TEST_REQUIRE_CHROMIUM === '1'
    ? '# Browser suites will FAIL: /usr/bin/chromium is missing and TEST_REQUIRE_CHROMIUM=1'
    : '# Browser suites will be SKIPPED: /usr/bin/chromium is missing (TEST_REQUIRE_CHROMIUM=1 makes that a failure)');
}
if (!existsSync('/usr/lib/softhsm/libsofthsm2.so') || !existsSync('/usr/bin/softhsm2-util')) {
  console.log(process.env.TEST_REQUIRE_SOFTHSM === '1'
    ? '# PKCS#11 suites will FAIL: SoftHSM is missing and TEST_REQUIRE_SOFTHSM=1'
    : '# PKCS#11 suites will be SKIPPED: SoftHSM is missing (apt-get install softhsm2; TEST_REQUIRE_SOFTHSM=1 makes that a failure)');
}
console.log(`# ${selected.length} test files`);

// The spec report goes to the terminal as it comes; a TAP copy is kept to
// count what was skipped (node's own summary counts a skipped suite as one
// test, however many it holds) and why.
const tapDir = mkdtempSync(join(tmpdir(), 'tollgate-tests-'));
const tapFile = join(tapDir, 'report.tap');
const timesFile = join(tapDir, 'file-times.txt');
// Test files spend most of their time waiting on servers and processes they
// start, so a few run at once even on two cores (TEST_CONCURRENCY to change it).
const concurrency = Number(process.env.TEST_CONCURRENCY) || 3;
console.log(`# ${concurrency} test files at a time`);
// A hang fails the test that hangs, by name, after TEST_TIMEOUT_SECONDS (see
// test-timeout.mjs); a file whose process outlives five times that (a hook
// that never returns, a handle that keeps it alive) is killed and failed.
const testTimeoutSeconds = Number(process.env.TEST_TIMEOUT_SECONDS) || 120;
console.log(`# a test fails after ${testTimeoutSeconds} s, a file after ${testTimeoutSeconds * 5} s (TEST_TIMEOUT_SECONDS to change)`);
const runner = spawn(process.execPath, ['--import', fileURLToPath(new URL('test-timeout.mjs', import.meta.url)), '--test', `--test-timeout=${testTimeoutSeconds * 5_000}`, `--test-concurrency=${concurrency}`, '--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=tap', `--test-reporter-destination=${tapFile}`, `--test-reporter=${fileURLToPath(new URL('test-file-times.mjs', import.meta.url))}`, `--test-reporter-destination=${timesFile}`, ...selected], {
  stdio: ['ignore', 'pipe', 'pipe'],
});

// oidc-provider warns on every import under Node 20 (each test file is a
// process of its own): say it once.
const RUNTIME_WARNING = /oidc-provider WARNING: Unsupported runtime/;
let warned = false;
function relay(stream, out) {
  createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
    if (RUNTIME_WARNING.test(line)) {
      if (warned) return;
      warned = true;
      out.write(`# ${line.trim()} (printed by every test process; shown once)\n`);
      return;
    }
    out.write(`${line}\n`);
  });
}
relay(runner.stdout, process.stdout);
relay(runner.stderr, process.stderr);

const status = await new Promise((resolve) => runner.on('close', (code) => resolve(code ?? 1)));
let tap = '';
let times = '';
try {
  tap = readFileSync(tapFile, 'utf8');
  times = readFileSync(timesFile, 'utf8');
} catch { /* the runner died before writing: its status says so */ }
rmSync(tapDir, { recursive: true, force: true });
const count = (name) => Number(tap.match(new RegExp(`^# ${name} (\\d+)$`, 'm'))?.[1] ?? 0);
const reasons = new Map();
for (const [, reason] of tap.matchAll(/^\s*ok \d+ - .*# SKIP ?(.*)$/gm)) reasons.set(reason || 'no reason given', (reasons.get(reason || 'no reason given') ?? 0) + 1);
const skipped = [...reasons.values()].reduce((sum, n) => sum + n, 0);
if (skipped) {
  console.log(`# skipped, suites and tests (each suite counts once however many tests it holds):`);
  for (const [reason, n] of [...reasons].sort((a, b) => b[1] - a[1])) console.log(`#   ${n} × ${reason}`);
}
const slowest = times.trim().split('\n').filter(Boolean).map((line) => line.split(' ')).sort((a, b) => Number(b[0]) - Number(a[0]));
const listed = process.env.TEST_TIMES === 'all' ? slowest : slowest.slice(0, 10);
if (listed.length) {
  console.log(`# slowest test files (wall time, process start included; TEST_TIMES=all lists every file):`);
  for (const [ms, file] of listed) console.log(`#   ${(Number(ms) / 1000).toFixed(1).padStart(6)} s  ${relative(process.cwd(), file)}`);
}
console.log(`tests: ${count('pass')} passed, ${count('fail') + count('cancelled')} failed, ${skipped} skipped`);
process.exit(status);
