import assert from 'node:assert/strict';
import { ResourceServerError } from '../../src/index.js';
import type { ResourceServerErrorCode } from '../../src/index.js';

/** Asserts that `promise` rejects with a ResourceServerError of `code` (and, if given, `description`); returns it. */
export async function rejectsWithCode(promise: Promise<unknown>, code: ResourceServerErrorCode, description?: string | RegExp): Promise<ResourceServerError> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ResourceServerError, `expected a ResourceServerError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, `expected ${code}, got ${caught.code}: ${caught.description}`);
  if (typeof description === 'string') assert.equal(caught.description, description);
  else if (description !== undefined) assert.match(caught.description, description);
  return caught;
}
