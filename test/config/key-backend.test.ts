import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig, type SecretSource } from '../../src/config.js';

const generated: SecretSource = { developmentSecret: () => 'd'.repeat(48) };
const MODULE = '/usr/lib/softhsm/libsofthsm2.so';
const pkcs11 = { TOLLGATE_KEY_BACKEND: 'pkcs11', TOLLGATE_PKCS11_MODULE: MODULE, TOLLGATE_PKCS11_TOKEN_LABEL: 'tollgate' };

const refusal = (env: Record<string, string>, setting: RegExp) =>
  assert.throws(() => loadConfig(env, generated), (error: unknown) => error instanceof ConfigError && setting.test(error.message));

describe('TOLLGATE_KEY_BACKEND and the PKCS#11 settings', () => {
  test('the database backend is the default and needs no other setting', () => {
    assert.deepEqual(loadConfig({}, generated).keyBackend, { kind: 'database' });
  });

  test('pkcs11 with a token label and a PIN from the environment', () => {
    const { keyBackend } = loadConfig({ ...pkcs11, TOLLGATE_PKCS11_PIN: '1234' }, generated);
    assert.deepEqual(keyBackend, { kind: 'pkcs11', token: { modulePath: MODULE, tokenLabel: 'tollgate', slotId: undefined, pin: '1234' } });
  });

  test('a slot id instead of a label, and a PIN from a file (its final newline dropped)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-pin-'));
    try {
      writeFileSync(join(dir, 'pin'), '4321\n', { mode: 0o600 });
      const { TOLLGATE_PKCS11_TOKEN_LABEL: _label, ...bySlot } = pkcs11;
      const { keyBackend } = loadConfig({ ...bySlot, TOLLGATE_PKCS11_SLOT: '7', TOLLGATE_PKCS11_PIN_FILE: join(dir, 'pin') }, generated);
      assert.deepEqual(keyBackend, { kind: 'pkcs11', token: { modulePath: MODULE, tokenLabel: undefined, slotId: 7, pin: '4321' } });
      writeFileSync(join(dir, 'empty'), '');
      refusal({ ...pkcs11, TOLLGATE_PKCS11_PIN_FILE: join(dir, 'empty') }, /^TOLLGATE_PKCS11_PIN_FILE .* is empty$/);
      refusal({ ...pkcs11, TOLLGATE_PKCS11_PIN_FILE: join(dir, 'missing') }, /^TOLLGATE_PKCS11_PIN_FILE .* cannot be read: ENOENT$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('each refusal names the variable', () => {
    refusal({ TOLLGATE_KEY_BACKEND: 'hsm' }, /TOLLGATE_KEY_BACKEND/);
    refusal({ TOLLGATE_KEY_BACKEND: 'pkcs11', TOLLGATE_PKCS11_PIN: '1234', TOLLGATE_PKCS11_TOKEN_LABEL: 't' }, /^TOLLGATE_PKCS11_MODULE is required/);
    refusal({ ...pkcs11, TOLLGATE_PKCS11_MODULE: 'libsofthsm2.so', TOLLGATE_PKCS11_PIN: '1' }, /TOLLGATE_PKCS11_MODULE/);
    refusal({ ...pkcs11, TOLLGATE_PKCS11_SLOT: '1', TOLLGATE_PKCS11_PIN: '1' }, /TOLLGATE_PKCS11_TOKEN_LABEL .* or TOLLGATE_PKCS11_SLOT/);
    refusal({ ...pkcs11, TOLLGATE_PKCS11_SLOT: 'first', TOLLGATE_PKCS11_PIN: '1' }, /TOLLGATE_PKCS11_SLOT/);
    refusal(pkcs11, /TOLLGATE_PKCS11_PIN or TOLLGATE_PKCS11_PIN_FILE/);
    refusal({ ...pkcs11, TOLLGATE_PKCS11_PIN: '1', TOLLGATE_PKCS11_PIN_FILE: '/run/secrets/pin' }, /TOLLGATE_PKCS11_PIN or TOLLGATE_PKCS11_PIN_FILE/);
    refusal({ TOLLGATE_PKCS11_MODULE: MODULE }, /^TOLLGATE_PKCS11_MODULE set but TOLLGATE_KEY_BACKEND is database/);
  });

  test('the PIN is never in a refusal', () => {
    try {
      loadConfig({ ...pkcs11, TOLLGATE_PKCS11_SLOT: '1', TOLLGATE_PKCS11_PIN: 'pin-9731' }, generated);
      assert.fail('accepted');
    } catch (error) {
      assert.ok(error instanceof ConfigError && !error.message.includes('pin-9731'));
    }
  });
});
