import { randomBytes } from 'node:crypto';

export const POSTGRES_URL = process.env['TEST_DATABASE_URL'];
export const REDIS_URL = process.env['TEST_REDIS_URL'];

/** CI sets both; a developer's `npm test` without them skips these suites and says why. */
export const SCALE_OUT_SKIP =
  POSTGRES_URL && REDIS_URL ? false : 'scale-out suite skipped: it needs TEST_DATABASE_URL and TEST_REDIS_URL (separate processes share PostgreSQL and Redis)';

/**
 * What every process of one deployment shares: the database, Redis, the
 * sealing secret and the issuer (the name clients use, as behind one load
 * balancer; the tests reach each process on its own port); each listens on
 * 127.0.0.1 only, on a port the system chooses (PORT=0).
 */
export function deploymentEnv(databaseUrl: string, dataDir: string): Record<string, string> {
  return {
    HOST: '127.0.0.1',
    PORT: '0',
    ISSUER: 'http://auth.acme.test',
    DATABASE_URL: databaseUrl,
    REDIS_URL: REDIS_URL!,
    TOLLGATE_SECRET: randomBytes(32).toString('base64url'),
    TOLLGATE_DATA_DIR: dataDir,
  };
}
