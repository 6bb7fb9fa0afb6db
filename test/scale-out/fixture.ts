export const POSTGRES_URL = process.env['TEST_DATABASE_URL'];
export const REDIS_URL = process.env['TEST_REDIS_URL'];

/** CI sets both; a developer's `npm test` without them skips these suites and says why. */
export const SCALE_OUT_SKIP =
  POSTGRES_URL && REDIS_URL ? false : 'scale-out suite skipped: it needs TEST_DATABASE_URL and TEST_REDIS_URL (separate processes share PostgreSQL and Redis)';
