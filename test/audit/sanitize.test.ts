import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { auditRow } from '../../src/audit/audit-log.js';
import { cleanText, DETAIL_LIMITS } from '../../src/audit/sanitize.js';

describe('audit sanitiser', () => {
  test('NUL, control characters and lone surrogates become U+FFFD; pairs and ordinary text are kept', () => {
    assert.equal(cleanText('a\u0000b\r\n\u001b[31m\u0085c', 100), 'a\uFFFDb\uFFFD\uFFFD\uFFFD[31m\uFFFDc');
    assert.equal(cleanText('x\ud800y\udc00z\udbff', 100), 'x\uFFFDy\uFFFDz\uFFFD');
    assert.equal(cleanText('ok 😀 é ü', 100), 'ok 😀 é ü');
  });

  test('a cut keeps to the cap and never splits a surrogate pair', () => {
    const cut = cleanText('a'.repeat(8) + '😀'.repeat(10), 10);
    assert.ok(cut.length <= 10);
    assert.equal(cut, `${'a'.repeat(8)}…`);
    assert.equal(cleanText('a'.repeat(9) + '😀', 11), `${'a'.repeat(9)}😀`);
    assert.equal(Buffer.from(cleanText('😀'.repeat(40_000), 200), 'utf8').toString('utf8').includes('\uFFFD'), false);
  });

  test('every field of a row is cleaned, nested detail objects included, and bounded', () => {
    const huge = 'é\u0000'.repeat(32 * 1024);
    const row = auditRow(
      {
        type: 'token.refused',
        actor: huge,
        tenantId: huge,
        subject: huge,
        detail: { [huge]: huge, nested: { deeper: [huge, { x: '\ud800' }] } } as unknown as Record<string, string>,
      },
      1,
    );
    assert.equal(row.actor.length, 200);
    assert.equal(row.tenant_id?.length, 64);
    assert.equal(row.subject?.length, 200);
    const text = JSON.stringify(row);
    assert.doesNotMatch(text, /\\u0000|\\ud800/);
    assert.ok(row.detail!.length < 4 * DETAIL_LIMITS.valueLength * 2, 'detail is bounded');
    const detail = JSON.parse(row.detail!) as Record<string, unknown>;
    assert.deepEqual(Object.keys(detail).map((key) => key.length), [DETAIL_LIMITS.keyLength, 'nested'.length]);
    assert.deepEqual((detail['nested'] as { deeper: unknown[] }).deeper[1], { x: '\uFFFD' });
  });
});
