import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig, type SecretSource } from '../../src/config.js';

const generated: SecretSource = { developmentSecret: () => randomBytes(32).toString('base64') };
const production = { NODE_ENV: 'production', ISSUER: 'https://auth.example.com', TOLLGATE_SECRET: randomBytes(32).toString('base64') };

describe('TOLLGATE_METRICS_TOKEN in production', () => {
  test('metrics on (the default) without a token: start-up is refused, naming the setting and the way out', () => {
    for (const metrics of [{}, { TOLLGATE_METRICS: 'on' }, { TOLLGATE_METRICS: 'true' }]) {
      assert.throws(
        () => loadConfig({ ...production, ...metrics }, generated),
        (error: unknown) => error instanceof ConfigError && /^TOLLGATE_METRICS_TOKEN is required/.test(error.message) && /TOLLGATE_METRICS=off/.test(error.message),
      );
    }
  });

  test('with a token, or with metrics off, production starts; development needs neither', () => {
    const token = randomBytes(32).toString('base64');
    assert.equal(loadConfig({ ...production, TOLLGATE_METRICS_TOKEN: token }, generated).metrics.token, token);
    assert.equal(loadConfig({ ...production, TOLLGATE_METRICS: 'off' }, generated).metrics.enabled, false);
    assert.deepEqual(loadConfig({}, generated).metrics, { enabled: true, token: undefined });
  });
});
