import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import Provider from 'oidc-provider';
import { StartupError } from '../../src/lifecycle/start-up-errors.js';
import {
  checkOidcProviderInternals,
  OidcProviderInternalsChanged,
  PINNED_OIDC_PROVIDER_VERSION,
} from '../../src/provider/oidc-provider-internals.js';

const packageJson = (path: string): { version?: string; dependencies?: Record<string, string> } => JSON.parse(readFileSync(path, 'utf8'));

/** A provider as the pinned release builds it (each instance has its own model classes, so changing one leaks nowhere). */
function freshProvider(): Provider {
  const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  return new Provider('http://127.0.0.1', { jwks: { keys: [{ ...jwk, kid: 'internals', alg: 'ES256', use: 'sig' }] } });
}

/** The start-up failure for `provider`, asserting it is one line that names the pinned version. */
function failureOf(provider: object): string {
  let failure: unknown;
  try {
    checkOidcProviderInternals(provider);
  } catch (error) {
    failure = error;
  }
  assert.ok(failure instanceof OidcProviderInternalsChanged, `expected the check to fail, got ${String(failure)}`);
  assert.ok(failure instanceof StartupError, 'the CLI prints a StartupError as its message alone');
  assert.doesNotMatch(failure.message, /\n/, 'one line');
  assert.match(failure.message, new RegExp(`written for oidc-provider ${PINNED_OIDC_PROVIDER_VERSION.replaceAll('.', '\\.')},`));
  return failure.message;
}

describe('the oidc-provider internals Tollgate relies on', () => {
  test('package.json pins oidc-provider to exactly the release the patches were written for, and that release is installed', () => {
    assert.equal(packageJson('package.json').dependencies?.['oidc-provider'], PINNED_OIDC_PROVIDER_VERSION);
    assert.equal(packageJson('node_modules/oidc-provider/package.json').version, PINNED_OIDC_PROVIDER_VERSION);
  });

  test('the pinned release has every member: the check passes', () => {
    assert.doesNotThrow(() => checkOidcProviderInternals(freshProvider()));
  });

  test('a prototype method that is gone fails start-up with one line naming it', () => {
    const provider = freshProvider();
    Object.defineProperty(provider.Client.prototype, 'compareClientSecret', { value: undefined });
    assert.match(failureOf(provider), /^oidc-provider: Client\.prototype\.compareClientSecret is missing; .* where it is a function/);
  });

  test('a token step that is gone fails start-up with one line naming it', () => {
    const provider = freshProvider();
    Object.defineProperty(provider.RefreshToken.prototype, 'consume', { value: 'not a method' });
    assert.match(failureOf(provider), /^oidc-provider: RefreshToken\.prototype\.consume is missing;/);
  });

  test('a provider without the per-instance state this reads (router, grant handlers) fails with one line naming the router', () => {
    const fake = Object.create(Provider.prototype) as object;
    assert.match(failureOf(fake), /^oidc-provider: its router \(weak_cache\(provider\)\.router\.match\) is missing;/);
  });
});
