import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLogger } from '../../src/logger.js';
import { OutageLog } from '../../src/lifecycle/outage-log.js';

const parse = (lines: string[]) => lines.map((line) => JSON.parse(line) as Record<string, unknown>);

describe('a dependency outage in the log', () => {
  test('one line when it starts, a summary every 30 s while it lasts, one line when it ends (after a second without failures)', () => {
    const lines: string[] = [];
    let now = 1_000_000;
    const outage = new OutageLog(createLogger('debug', (line) => lines.push(line)), 'database', { clock: () => now });
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

    outage.available();
    assert.equal(lines.length, 0, 'nothing to say while the database is up');
    // 65 s of failures, 100 per second, and successes in between (reads that work while writes fail).
    for (let call = 0; call < 6_500; call += 1) {
      outage.unavailable(refused);
      outage.available();
      now += 10;
    }
    now += 1_000;
    outage.available();
    outage.available();

    const entries = parse(lines);
    assert.deepEqual(
      entries.map((entry) => [entry['level'], entry['message']]),
      [
        ['error', 'database unavailable'],
        ['error', 'database still unavailable'],
        ['error', 'database still unavailable'],
        ['info', 'database available again'],
      ],
    );
    assert.equal(entries[0]!['code'], 'ECONNREFUSED');
    assert.equal(entries[1]!['failedCalls'], 3_000);
    assert.equal(entries[1]!['forMs'], 30_000);
    assert.equal(entries[3]!['failedCalls'], 6_500);
    assert.equal(entries[3]!['forMs'], 66_000);
  });
});
