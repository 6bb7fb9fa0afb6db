// Preloaded into every test file's process by scripts/run-tests.mjs: a test
// that runs past TEST_TIMEOUT_SECONDS (default 120) is a hang, and ends its
// file's process with the test's name on stderr, instead of holding up the
// run until CI's own limit.
//
// Why not node:test's own `--test-timeout`: on Node 20 it only reaches the
// runner, where it bounds each file as a whole and kills the file without
// saying which test hung (run-tests.mjs still passes it, as the bound for a
// file whose process never exits). Suites that set a `timeout` of their own
// keep it: whichever limit is shorter fails the test.
import { afterEach, beforeEach } from 'node:test';

const limitSeconds = Number(process.env.TEST_TIMEOUT_SECONDS) || 120;

// Only in a test file's process: the runner that spawns them imports this too.
if (process.env.NODE_TEST_CONTEXT) {
  const timers = new Map();
  beforeEach((t) => {
    const timer = setTimeout(() => {
      process.stderr.write(`\n✖ test "${t.name}" did not finish within ${limitSeconds} s (TEST_TIMEOUT_SECONDS): a hang; ending ${process.argv[1]}\n`);
      process.exit(1);
    }, limitSeconds * 1000);
    // A timer of its own must not keep a finished file's process alive.
    timer.unref();
    timers.set(t, timer);
  });
  afterEach((t) => {
    clearTimeout(timers.get(t));
    timers.delete(t);
  });
}
