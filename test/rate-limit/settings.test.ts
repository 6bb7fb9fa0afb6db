import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatLimitSpec, parseLimitSpec } from '../../src/rate-limit/limit-spec.js';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('limit specs', () => {
  test('count per unit becomes max and a window in milliseconds', () => {
    assert.deepEqual(parseLimitSpec('300/min', 'X'), { max: 300, durationMs: 60_000 });
    assert.deepEqual(parseLimitSpec('10/min', 'X'), { max: 10, durationMs: 60_000 });
    assert.deepEqual(parseLimitSpec('1000/h', 'X'), { max: 1000, durationMs: 3_600_000 });
    assert.deepEqual(parseLimitSpec('50/s', 'X'), { max: 50, durationMs: 1_000 });
    assert.deepEqual(parseLimitSpec(' 100 / 15min ', 'X'), { max: 100, durationMs: 900_000 });
    assert.deepEqual(parseLimitSpec('5000/day', 'X'), { max: 5000, durationMs: 86_400_000 });
    assert.deepEqual(parseLimitSpec('20/Minutes', 'X'), { max: 20, durationMs: 60_000 });
    assert.equal(formatLimitSpec({ max: 300, durationMs: 60_000 }), '300/60s');
  });

  test('a bad spec fails with the variable named', () => {
    for (const bad of ['', '300', '0/min', '-1/min', '10/fortnight', 'ten/min', '10/0min', '10/min/h', '1.5/s', '10/30day']) {
      assert.throws(() => parseLimitSpec(bad, 'TOLLGATE_RATE_LIMIT_IP'), /TOLLGATE_RATE_LIMIT_IP/, bad);
    }
  });
});

/** The rate-limit part of the configuration `env` gives, through the one configuration schema. */
const rateLimitSettings = (env: Record<string, string>) => loadConfig(env, { developmentSecret: () => 'd'.repeat(48) }).rateLimits;

/** Checks a ConfigError whose message names the variable as `pattern` expects. */
const configError = (pattern: RegExp) => (error: unknown) => error instanceof ConfigError && pattern.test(error.message);

describe('rate-limit settings from the environment', () => {
  test('defaults: on, no trusted proxy, 300/min per address, 10 failures/min', () => {
    const settings = rateLimitSettings({});
    assert.equal(settings.enabled, true);
    assert.deepEqual(settings.trustProxy, { kind: 'none' });
    assert.deepEqual(settings.perIp, { max: 300, durationMs: 60_000 });
    assert.deepEqual(settings.authFailures, { max: 10, durationMs: 60_000 });
    assert.deepEqual(settings.authFailuresPerIp, { max: 50, durationMs: 60_000 });
    assert.equal(settings.whenRedisDown, 'memory');
    assert.ok(Object.isFrozen(settings));
  });

  test('values are read and empty strings count as unset', () => {
    const settings = rateLimitSettings({
      TOLLGATE_RATE_LIMITS: 'off',
      TOLLGATE_RATE_LIMIT_IP: '1000/h',
      TOLLGATE_RATE_LIMIT_AUTH_FAILURES: '',
      TOLLGATE_TRUST_PROXY: '2',
    });
    assert.equal(settings.enabled, false);
    assert.deepEqual(settings.perIp, { max: 1000, durationMs: 3_600_000 });
    assert.deepEqual(settings.authFailures, { max: 10, durationMs: 60_000 });
    assert.deepEqual(settings.trustProxy, { kind: 'hops', hops: 2 });
  });

  test('each bad value fails the configuration with its own variable named', () => {
    assert.throws(() => rateLimitSettings({ TOLLGATE_RATE_LIMITS: 'maybe' }), configError(/TOLLGATE_RATE_LIMITS must be on or off; got "maybe"/));
    assert.throws(() => rateLimitSettings({ TOLLGATE_RATE_LIMIT_REDIS_DOWN: 'ignore' }), configError(/TOLLGATE_RATE_LIMIT_REDIS_DOWN must be memory, open or closed/));
    assert.throws(() => rateLimitSettings({ TOLLGATE_RATE_LIMIT_IP: 'lots' }), configError(/TOLLGATE_RATE_LIMIT_IP must look like 300\/min/));
    assert.throws(() => rateLimitSettings({ TOLLGATE_RATE_LIMIT_AUTH_FAILURES: '10' }), configError(/TOLLGATE_RATE_LIMIT_AUTH_FAILURES must look like/));
    assert.throws(() => rateLimitSettings({ TOLLGATE_RATE_LIMIT_AUTH_FAILURES_IP: '0/min' }), configError(/TOLLGATE_RATE_LIMIT_AUTH_FAILURES_IP must look like/));
    assert.throws(() => rateLimitSettings({ TOLLGATE_TRUST_PROXY: 'yes please' }), configError(/TOLLGATE_TRUST_PROXY/));
  });

  test('bad rate-limit values are reported together with the other bad settings', () => {
    assert.throws(
      () => rateLimitSettings({ PORT: 'eighty', TOLLGATE_RATE_LIMIT_IP: 'lots', TOLLGATE_RATE_LIMITS: 'ON ' }),
      (error: unknown) => error instanceof ConfigError && /PORT must be integer/.test(error.message) && /TOLLGATE_RATE_LIMIT_IP must look like/.test(error.message) && !/TOLLGATE_RATE_LIMITS/.test(error.message),
    );
  });
});
