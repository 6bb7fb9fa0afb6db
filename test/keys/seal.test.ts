import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SealError, createSealer } from '../../keys/seal.js';
import { newSecret } from './fixture.js';

const PLAINTEXT = JSON.stringify({ kty: 'EC', d: 'private-scalar-value' });

function assertSealError(code: string, ...mustNotMention: string[]) {
  return (error: unknown) => {
    assert.ok(error instanceof SealError, `expected a SealError, got ${String(error)}`);
    assert.equal(error.code, code);
    for (const secret of mustNotMention) assert.ok(!error.message.includes(secret), 'error message leaks secret material');
    return true;
  };
}

describe('createSealer', () => {
  it('opens what it sealed, in the v1.<keyId>.<iv>.<ciphertext>.<tag> format, with a fresh IV each time', () => {
    const sealer = createSealer([newSecret()]);
    const first = sealer.seal(PLAINTEXT, 'row-1');
    const second = sealer.seal(PLAINTEXT, 'row-1');
    assert.equal(sealer.open(first, 'row-1'), PLAINTEXT);
    assert.notEqual(first, second);
    const parts = first.split('.');
    assert.equal(parts.length, 5);
    assert.equal(parts[0], 'v1');
    assert.equal(parts[1], sealer.currentKeyId);
    assert.ok(!first.includes('private-scalar-value'));
    assert.ok(sealer.isSealedWithNewest(first));
  });

  it('opens values sealed under a previous secret and reports them as not sealed with the newest', () => {
    const previous = newSecret();
    const sealedBefore = createSealer([previous]).seal(PLAINTEXT, 'row-1');
    const rotated = createSealer([newSecret(), previous]);
    assert.equal(rotated.open(sealedBefore, 'row-1'), PLAINTEXT);
    assert.equal(rotated.isSealedWithNewest(sealedBefore), false);
    assert.equal(rotated.isSealedWithNewest(rotated.seal(PLAINTEXT, 'row-1')), true);
  });

  it('refuses a value sealed under a secret it does not have, without leaking secrets or plaintext', () => {
    const secret = newSecret();
    const other = newSecret();
    const sealed = createSealer([secret]).seal(PLAINTEXT);
    assert.throws(() => createSealer([other]).open(sealed), assertSealError('ERR_SEAL_UNKNOWN_SECRET', secret, other, PLAINTEXT, 'private-scalar-value'));
  });

  it('refuses a value relabelled with another secret key id instead of decrypting garbage', () => {
    const secret = newSecret();
    const other = createSealer([newSecret()]);
    const sealed = createSealer([secret]).seal(PLAINTEXT);
    const relabelled = sealed.replace(/^v1\.[^.]+\./, `v1.${other.currentKeyId}.`);
    assert.throws(() => other.open(relabelled), assertSealError('ERR_SEAL_AUTHENTICATION_FAILED', secret, PLAINTEXT));
  });

  it('refuses a value opened with other associated data (a sealed key moved to another row)', () => {
    const sealer = createSealer([newSecret()]);
    const sealed = sealer.seal(PLAINTEXT, 'tollgate/signing-key/kid-a');
    assert.throws(() => sealer.open(sealed, 'tollgate/signing-key/kid-b'), assertSealError('ERR_SEAL_AUTHENTICATION_FAILED', PLAINTEXT));
    assert.throws(() => sealer.open(sealed), assertSealError('ERR_SEAL_AUTHENTICATION_FAILED'));
  });

  it('refuses a tampered ciphertext', () => {
    const sealer = createSealer([newSecret()]);
    const parts = sealer.seal(PLAINTEXT).split('.');
    const ciphertext = Buffer.from(parts[3] ?? '', 'base64url');
    ciphertext[0] = (ciphertext[0] ?? 0) ^ 1;
    parts[3] = ciphertext.toString('base64url');
    assert.throws(() => sealer.open(parts.join('.')), assertSealError('ERR_SEAL_AUTHENTICATION_FAILED'));
  });

  it('refuses malformed values and an empty secret list', () => {
    const sealer = createSealer([newSecret()]);
    for (const value of ['', 'v1.a.b.c', 'v2.a.b.c.d', `v1.${sealer.currentKeyId}.AAAA.AAAA.AAAA`]) {
      assert.throws(() => sealer.open(value), assertSealError('ERR_SEAL_MALFORMED'));
    }
    assert.throws(() => createSealer([]), assertSealError('ERR_SEAL_NO_SECRET'));
    assert.throws(() => createSealer(['']), assertSealError('ERR_SEAL_NO_SECRET'));
  });
});
