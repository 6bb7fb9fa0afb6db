#!/usr/bin/env node
// Runs every compiled test file (dist/**/*.test.js) with node:test, after saying
// which optional suites this machine will skip and why.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

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
console.log(`# ${selected.length} test files`);

const result = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...selected], { stdio: 'inherit' });
process.exit(result.status ?? 1);
