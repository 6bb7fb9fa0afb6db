import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DatabaseInUseError } from '../../adapters/sqlite-process-lock.js';
import { KeyStoreError } from '../../keys/key-store.js';
import { createSealer } from '../../keys/seal.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { BaseError, errorBody, TollgateError } from '../../src/errors.js';
import { listenStartupError } from '../../src/lifecycle/start-up-errors.js';

const thrown = (run: () => unknown): unknown => {
  try {
    run();
  } catch (error) {
    return error;
  }
  return assert.fail('expected a throw');
};

describe('one error base', () => {
  test('every error Tollgate raises on purpose is a BaseError with a code, a status and expose (for HTTP clients: below 500 only)', () => {
    const errors: [unknown, string][] = [
      [thrown(() => loadConfig({ PORT: 'eighty' }, { developmentSecret: () => 'd'.repeat(48) })), 'ERR_CONFIG'],
      [thrown(() => createSealer([])), 'ERR_SEAL_NO_SECRET'],
      [new KeyStoreError('ERR_KEY_NOT_FOUND', 'no key k1'), 'ERR_KEY_NOT_FOUND'],
      [listenStartupError(Object.assign(new Error('listen'), { code: 'EADDRINUSE' }), '127.0.0.1', 1), 'ERR_STARTUP'],
      [new DatabaseInUseError('in use'), 'ERR_DATABASE_IN_USE'],
      [new TollgateError(404, 'not_found', 'no such thing'), 'not_found'],
    ];
    for (const [error, code] of errors) {
      assert.ok(error instanceof BaseError, `${String(error)} is a BaseError`);
      assert.equal(error.code, code);
      assert.equal(error.expose, error.status < 500, `${code}: exposed to an HTTP client only below 500`);
    }
    assert.ok(errors[0]![0] instanceof ConfigError);
  });

  test('a request error is exposed below 500 and as 503; any other 5xx answers server_error', () => {
    const refused = new TollgateError(409, 'conflict', 'already exists');
    assert.deepEqual([refused.status, refused.error, refused.expose], [409, 'conflict', true]);
    assert.equal(new TollgateError(503, 'temporarily_unavailable', 'retry').expose, true);
    const broken = new TollgateError(500, 'server_error', 'the stack says x');
    assert.equal(broken.expose, false);
    assert.deepEqual(errorBody(broken), { status: 500, body: { error: 'server_error', error_description: 'internal server error' } });
    assert.deepEqual(errorBody(refused), { status: 409, body: { error: 'conflict', error_description: 'already exists' } });
  });
});
