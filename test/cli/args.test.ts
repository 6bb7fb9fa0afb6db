import assert from 'node:assert/strict';
import { parseArgs } from 'node:util';
import { describe, test } from 'node:test';
import { dashPositionalsLast } from '../../src/cli/args.js';

const OPTIONS = { json: { type: 'boolean' }, name: { type: 'string' }, follow: { type: 'boolean', short: 'f' } } as const;
const parse = (argv: string[]) => parseArgs({ args: dashPositionalsLast(argv, OPTIONS), options: OPTIONS, allowPositionals: true, strict: true });

describe('CLI arguments', () => {
  test('a key id that begins with "-" is a positional, in its place', () => {
    const { values, positionals } = parse(['keys', 'revoke', '-nQ3xYz_abc', '--json']);
    assert.deepEqual(positionals, ['keys', 'revoke', '-nQ3xYz_abc']);
    assert.equal(values.json, true);
  });

  test('options, option values that begin with "-", short flags and -- keep their meaning', () => {
    const { values, positionals } = parse(['clients', 'create', '--name', '-odd-name', '-f', 'x', '--', '--literal']);
    assert.equal(values.name, '-odd-name');
    assert.equal(values.follow, true);
    assert.deepEqual(positionals, ['clients', 'create', 'x', '--literal']);
  });

  test('an unknown long option is still refused', () => {
    assert.throws(() => parse(['clients', 'create', '--nmae', 'x']), /Unknown option '--nmae'/);
  });
});
