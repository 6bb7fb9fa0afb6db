import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { registerSigningKeyAge, type SigningKeyList } from '../../src/metrics/signing-key-age.js';
import { parseExposition, samplesOf, valueOf } from './exposition.js';

type Listed = Awaited<ReturnType<SigningKeyList['list']>>;
const keys = (activatedAt: number, kid = 'kid-1'): Listed => [
  { kid: 'old', state: 'retired', createdAt: 0, activatedAt: 0 },
  { kid, state: 'active', createdAt: activatedAt - 5_000, activatedAt },
  { kid: 'kid-next', state: 'next', createdAt: activatedAt, activatedAt: null },
];

function setup(list: () => Promise<Listed>, options: { timeoutMs?: number } = {}) {
  let now = 1_000_000;
  let reads = 0;
  const errors: unknown[] = [];
  const registry = new Registry();
  registerSigningKeyAge({
    registry,
    keys: { list: () => ((reads += 1), list()) },
    clock: () => now,
    onError: (error) => errors.push(error),
    ...options,
  });
  return {
    advance: (ms: number) => (now += ms),
    reads: () => reads,
    errors,
    scrape: async () => parseExposition(await registry.metrics()),
  };
}

describe('tollgate_signing_key_age_seconds', () => {
  test('is the age of the active key, and reads the key table at most every 5 s', async () => {
    const metrics = setup(async () => keys(1_000_000 - 60_000));
    assert.equal(valueOf(await metrics.scrape(), 'tollgate_signing_key_age_seconds', { kid: 'kid-1' }), 60);
    metrics.advance(2_000);
    assert.equal(valueOf(await metrics.scrape(), 'tollgate_signing_key_age_seconds', { kid: 'kid-1' }), 62);
    assert.equal(metrics.reads(), 1);
    metrics.advance(5_000);
    await metrics.scrape();
    assert.equal(metrics.reads(), 2);
  });

  test('a failing key table never fails the scrape: the last known key keeps aging, and with none there is no series', async () => {
    let failing = false;
    const metrics = setup(async () => {
      if (failing) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      return keys(1_000_000);
    });
    await metrics.scrape();
    failing = true;
    metrics.advance(30_000);
    assert.equal(valueOf(await metrics.scrape(), 'tollgate_signing_key_age_seconds', { kid: 'kid-1' }), 30);
    assert.equal(metrics.errors.length, 1);

    const never = setup(async () => {
      throw new Error('no such table');
    });
    assert.deepEqual(samplesOf(await never.scrape(), 'tollgate_signing_key_age_seconds'), []);
  });

  test('a key table that does not answer delays a scrape by the timeout at most', async () => {
    const metrics = setup(() => new Promise<Listed>(() => undefined), { timeoutMs: 50 });
    const started = performance.now();
    assert.deepEqual(samplesOf(await metrics.scrape(), 'tollgate_signing_key_age_seconds'), []);
    assert.ok(performance.now() - started < 500);
  });

  test('after a rotation only the new key has a series', async () => {
    let listed = keys(1_000_000, 'kid-1');
    const metrics = setup(async () => listed);
    await metrics.scrape();
    listed = keys(1_000_000 + 10_000, 'kid-2');
    metrics.advance(10_000);
    const samples = await metrics.scrape();
    assert.deepEqual(samplesOf(samples, 'tollgate_signing_key_age_seconds').map((sample) => [sample.labels['kid'], sample.value]), [['kid-2', 0]]);
  });
});
