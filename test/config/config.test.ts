import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig, type SecretSource } from '../../src/config.js';

const generated: SecretSource = { developmentSecret: () => 'd'.repeat(48) };
const secret = 'Vq3xN8rT2mK7pL9wZ4bH6cJ1dF5gS0yE';

describe('configuration from the environment', () => {
  test('defaults need nothing: port 3000, SQLite in the project\'s data/, issuer from the port, 15-minute tokens', () => {
    const config = loadConfig({}, generated);
    assert.equal(config.port, 3000);
    assert.equal(config.issuer, 'http://localhost:3000');
    const projectData = fileURLToPath(new URL('../../../data', import.meta.url));
    assert.equal(config.dataDir, projectData);
    assert.equal(config.databaseUrl, `sqlite:${join(projectData, 'tollgate.sqlite')}`);
    assert.equal(config.databaseUrlDefaulted, true);
    assert.equal(config.accessTokenTtlSeconds, 900);
    assert.equal(config.secretGenerated, true);
    assert.ok(Object.isFrozen(config));
  });

  test('the default database follows TOLLGATE_DATA_DIR; a DATABASE_URL given is used as given', () => {
    assert.equal(loadConfig({ TOLLGATE_DATA_DIR: '/srv/tollgate' }, generated).databaseUrl, 'sqlite:/srv/tollgate/tollgate.sqlite');
    const explicit = loadConfig({ DATABASE_URL: 'sqlite:./here.sqlite' }, generated);
    assert.equal(explicit.databaseUrl, 'sqlite:./here.sqlite');
    assert.equal(explicit.databaseUrlDefaulted, false);
  });

  test('values are coerced and empty strings count as unset', () => {
    const config = loadConfig({ PORT: '8080', ISSUER: '', TOLLGATE_SECRET: secret, TOLLGATE_ACCESS_TOKEN_TTL: '300' }, generated);
    assert.equal(config.port, 8080);
    assert.equal(config.issuer, 'http://localhost:8080');
    assert.equal(config.accessTokenTtlSeconds, 300);
    assert.deepEqual(config.secrets, [secret]);
    assert.equal(config.secretGenerated, false);
  });

  test('a bad setting fails fast with its name', () => {
    assert.throws(() => loadConfig({ PORT: 'eighty' }, generated), (error: unknown) => error instanceof ConfigError && /PORT/.test(error.message));
    assert.throws(() => loadConfig({ DATABASE_URL: 'mysql://x' }, generated), /DATABASE_URL/);
    assert.throws(() => loadConfig({ TOLLGATE_SECRET: 'short' }, generated), /TOLLGATE_SECRET/);
    assert.throws(() => loadConfig({ ISSUER: 'ftp://x' }, generated), /ISSUER/);
    assert.throws(() => loadConfig({ TOLLGATE_ACCESS_TOKEN_TTL: '5' }, generated), /TOLLGATE_ACCESS_TOKEN_TTL/);
  });

  test('production refuses the generated secret and a plain-http issuer', () => {
    assert.throws(() => loadConfig({ NODE_ENV: 'production', ISSUER: 'https://auth.example.com' }, generated), /TOLLGATE_SECRET is required/);
    assert.throws(() => loadConfig({ NODE_ENV: 'production', TOLLGATE_SECRET: secret }, generated), /ISSUER must be an https/);
    const config = loadConfig({ NODE_ENV: 'production', TOLLGATE_SECRET: secret, ISSUER: 'https://auth.example.com/', TOLLGATE_METRICS: 'off' }, generated);
    assert.equal(config.issuer, 'https://auth.example.com');
  });

  test('previous sealing secrets follow the current one, newest first', () => {
    const old = 'oldSecret-2025-Qw7Er4Ty1Ui8Op3As6Df';
    const older = 'olderSecret-2024-Zx2Cv5Bn9Mk0Lj4Hg';
    const config = loadConfig({ TOLLGATE_SECRET: secret, TOLLGATE_SECRET_PREVIOUS: `${old}, ${older}` }, generated);
    assert.deepEqual(config.secrets, [secret, old, older]);
  });
  test('metrics are on by default; TOLLGATE_METRICS=off turns them off; a metrics token must be long and header-safe', () => {
    assert.deepEqual(loadConfig({}, generated).metrics, { enabled: true, token: undefined });
    assert.equal(loadConfig({ TOLLGATE_METRICS: 'off' }, generated).metrics.enabled, false);
    const token = 't'.repeat(32);
    assert.deepEqual(loadConfig({ TOLLGATE_METRICS_TOKEN: token }, generated).metrics, { enabled: true, token });
    assert.throws(() => loadConfig({ TOLLGATE_METRICS: 'maybe' }, generated), (error: unknown) => error instanceof ConfigError && /TOLLGATE_METRICS /.test(error.message));
    assert.throws(() => loadConfig({ TOLLGATE_METRICS_TOKEN: 'short' }, generated), /TOLLGATE_METRICS_TOKEN/);
    const spaced = 'a token with spaces in it';
    assert.throws(
      () => loadConfig({ TOLLGATE_METRICS_TOKEN: spaced }, generated),
      (error: unknown) => error instanceof ConfigError && /TOLLGATE_METRICS_TOKEN/.test(error.message) && !error.message.includes(spaced),
    );
  });

  test('TOLLGATE_WORKERS: 1 by default, a whole number up to 64, and more than one needs PostgreSQL', () => {
    assert.equal(loadConfig({}, generated).workers, 1);
    assert.equal(loadConfig({ TOLLGATE_WORKERS: '4', DATABASE_URL: 'postgres://db/tollgate' }, generated).workers, 4);
    for (const bad of ['0', 'two', '1.5', '65']) {
      assert.throws(() => loadConfig({ TOLLGATE_WORKERS: bad, DATABASE_URL: 'postgres://db/tollgate' }, generated), /TOLLGATE_WORKERS/);
    }
    assert.throws(
      () => loadConfig({ TOLLGATE_WORKERS: '2' }, generated),
      (error: unknown) => error instanceof ConfigError && /TOLLGATE_WORKERS .* SQLite.*PostgreSQL/.test(error.message) && !error.message.includes('\n'),
    );
  });

  test('TOLLGATE_DATABASE_TIMEOUT: 2 s by default, seconds with fractions, above 0 and at most 60', () => {
    assert.equal(loadConfig({}, generated).databaseTimeoutMs, 2_000);
    assert.equal(loadConfig({ TOLLGATE_DATABASE_TIMEOUT: '0.5' }, generated).databaseTimeoutMs, 500);
    for (const bad of ['0', '-1', '61', 'soon']) {
      assert.throws(() => loadConfig({ TOLLGATE_DATABASE_TIMEOUT: bad }, generated), (error: unknown) => error instanceof ConfigError && /TOLLGATE_DATABASE_TIMEOUT/.test(error.message));
    }
  });
});
