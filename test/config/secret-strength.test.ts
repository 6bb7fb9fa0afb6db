import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig, type SecretSource } from '../../src/config.js';

const generated: SecretSource = { developmentSecret: () => 'd'.repeat(48) };
const production = { NODE_ENV: 'production', ISSUER: 'https://auth.example.com', TOLLGATE_METRICS: 'off' };

/** A ConfigError that names the setting, says how to make a good secret and does not repeat the bad one. */
const refusedNaming = (setting: string, secret: string) => (error: unknown) =>
  error instanceof ConfigError && error.message.startsWith(setting) && /too predictable/.test(error.message) && !error.message.includes(secret);

describe('TOLLGATE_SECRET strength', () => {
  test('32 × "a", a short word repeated, and two characters alternating are refused in production and development', () => {
    for (const weak of ['a'.repeat(32), 'password'.repeat(4), 'ab'.repeat(64), '0123456789'.repeat(4).slice(0, 32)]) {
      for (const env of [production, {}]) {
        assert.throws(() => loadConfig({ ...env, TOLLGATE_SECRET: weak }, generated), refusedNaming('TOLLGATE_SECRET', weak), weak);
      }
    }
    assert.throws(() => loadConfig({ ...production, TOLLGATE_SECRET: 'a'.repeat(32) }, generated), /openssl rand -base64 32/);
  });

  test('a previous secret is held to the same rule', () => {
    const previous = 'z'.repeat(40);
    assert.throws(
      () => loadConfig({ ...production, TOLLGATE_SECRET: randomBytes(32).toString('base64'), TOLLGATE_SECRET_PREVIOUS: previous }, generated),
      refusedNaming('TOLLGATE_SECRET_PREVIOUS', previous),
    );
  });

  test('openssl rand -base64 32 and -hex 32 style secrets, and a long passphrase, are accepted', () => {
    for (let round = 0; round < 200; round += 1) {
      for (const secret of [randomBytes(32).toString('base64'), randomBytes(32).toString('hex'), randomBytes(24).toString('base64url')]) {
        assert.deepEqual(loadConfig({ ...production, TOLLGATE_SECRET: secret }, generated).secrets, [secret]);
      }
    }
    const passphrase = 'correct horse battery staple, then seven more words';
    assert.deepEqual(loadConfig({ ...production, TOLLGATE_SECRET: passphrase }, generated).secrets, [passphrase]);
  });
});
