import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { humanDuration } from '../../keys/duration.js';

describe('humanDuration', () => {
  test('seconds up to days, the two largest units, to the second', () => {
    assert.equal(humanDuration(0), 'under 1 s');
    assert.equal(humanDuration(400), 'under 1 s');
    assert.equal(humanDuration(3_200), '3 s');
    assert.equal(humanDuration(3_597_000), '59 min 57 s');
    assert.equal(humanDuration(3_600_000), '1 h');
    assert.equal(humanDuration(7_530_000), '2 h 5 min');
    assert.equal(humanDuration(90_061_000), '1 d 1 h');
  });
});
