import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDuration } from '../../src/api-keys/duration.js';
import {
  API_KEY_MAX_LENGTH,
  formatApiKey,
  generateApiKey,
  looksLikeApiKey,
  parseApiKey,
} from '../../src/api-keys/format.js';
import { TollgateError } from '../../src/errors.js';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

describe('API key format', () => {
  it('a new key reads tg_<env>_<22-char id>_<43-char secret><6-char checksum> and parses back to its parts', () => {
    for (const env of ['live', 'test'] as const) {
      const generated = generateApiKey(env);
      assert.match(generated.key, new RegExp(`^tg_${env}_[0-9A-Za-z]{22}_[0-9A-Za-z]{49}$`));
      assert.equal(generated.key.length, API_KEY_MAX_LENGTH);
      assert.deepEqual(parseApiKey(generated.key), { env, id: generated.id, secret: generated.secret });
    }
    assert.match(generateApiKey().key, /^tg_live_/);
  });

  it('ids and secrets are fresh random values each time', () => {
    const keys = Array.from({ length: 50 }, () => generateApiKey());
    assert.equal(new Set(keys.map((key) => key.id)).size, 50);
    assert.equal(new Set(keys.map((key) => key.secret)).size, 50);
    // Every base62 character turns up: the alphabet is used in full, not a hex subset.
    assert.equal(new Set(keys.map((key) => key.secret).join('')).size, 62);
  });

  it('a one-character typo anywhere (prefix, id, secret or checksum) is refused by the checksum', () => {
    const { key } = generateApiKey();
    for (let position = 0; position < key.length; position += 1) {
      const original = key[position]!;
      const replacement = original === 'a' ? 'b' : original === '_' ? '-' : BASE62[(BASE62.indexOf(original) + 1) % 62]!;
      const typo = key.slice(0, position) + replacement + key.slice(position + 1);
      assert.equal(parseApiKey(typo), undefined, `typo at position ${position} was accepted`);
    }
  });

  it('a truncated key, at any length, is refused; so is one with characters appended', () => {
    const { key } = generateApiKey();
    for (let length = 0; length < key.length; length += 1) {
      assert.equal(parseApiKey(key.slice(0, length)), undefined, `prefix of length ${length} was accepted`);
    }
    assert.equal(parseApiKey(`${key}A`), undefined);
    assert.equal(parseApiKey(` ${key}`), undefined);
    assert.equal(parseApiKey(`${key}\n`), undefined);
  });

  it('a wrong prefix or an unknown environment is refused', () => {
    const { key } = generateApiKey();
    assert.equal(parseApiKey(key.replace(/^tg_/, 'gh_')), undefined);
    assert.equal(parseApiKey(key.replace(/^tg_/, 'TG_')), undefined);
    assert.equal(parseApiKey(key.replace(/^tg_live_/, 'tg_prod_')), undefined);
    assert.equal(parseApiKey(key.replace(/^tg_live_/, 'tg_')), undefined);
  });

  it('a `_` inside the id or secret is refused even when its checksum is right', () => {
    const { id, secret } = generateApiKey();
    const withUnderscoreInSecret = formatApiKey({ env: 'live', id, secret: `${secret.slice(0, 20)}_${secret.slice(21)}` });
    const withUnderscoreInId = formatApiKey({ env: 'live', id: `${id.slice(0, 10)}_${id.slice(11)}`, secret });
    const withExtraSegment = formatApiKey({ env: 'live', id, secret: `x_${secret}` });
    for (const value of [withUnderscoreInSecret, withUnderscoreInId, withExtraSegment]) {
      assert.equal(parseApiKey(value), undefined, value.replace(/_[^_]*$/, '_…'));
    }
  });

  it('non-strings and empty input are refused', () => {
    for (const value of [undefined, null, 42, {}, [], '', 'tg_']) assert.equal(parseApiKey(value), undefined);
  });

  it('100 KB of input is refused at once, without running the pattern over it', () => {
    const huge = `tg_live_${'A'.repeat(100_000)}`;
    const started = process.hrtime.bigint();
    for (let run = 0; run < 1_000; run += 1) assert.equal(parseApiKey(huge), undefined);
    const perCallMs = Number(process.hrtime.bigint() - started) / 1e6 / 1_000;
    assert.ok(perCallMs < 0.5, `a 100 KB refusal took ${perCallMs.toFixed(3)} ms`);
  });

  it('looksLikeApiKey recognises the prefix and environment tag only', () => {
    assert.equal(looksLikeApiKey(generateApiKey().key), true);
    assert.equal(looksLikeApiKey('tg_test_anything'), true);
    for (const value of ['tg_', 'tg_prod_x', 'eyJhbGciOiJFUzI1NiJ9.e30.sig', 'opaque-token', 7, undefined]) {
      assert.equal(looksLikeApiKey(value), false, String(value));
    }
  });
});

describe('parseDuration (CLI --expires-in / --overlap)', () => {
  it('reads days, hours, minutes, seconds, bare seconds and never', () => {
    assert.equal(parseDuration('90d'), 90 * 86_400);
    assert.equal(parseDuration('12h'), 12 * 3_600);
    assert.equal(parseDuration('30m'), 30 * 60);
    assert.equal(parseDuration('45s'), 45);
    assert.equal(parseDuration('3600'), 3_600);
    assert.equal(parseDuration('0s'), 0);
    assert.equal(parseDuration('never'), null);
    assert.equal(parseDuration(' Never '), null);
  });

  it('refuses anything else with an invalid_request naming the option', () => {
    for (const value of ['', 'd', '1.5d', '-1d', '90 days', '1w', '1234567890d', 'forever']) {
      assert.throws(
        () => parseDuration(value, 'expires-in'),
        (error: unknown) =>
          error instanceof TollgateError &&
          error.status === 400 &&
          error.error === 'invalid_request' &&
          error.message.startsWith('expires-in must be'),
        JSON.stringify(value),
      );
    }
  });
});
