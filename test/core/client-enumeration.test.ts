import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { databaseVariants } from '../helpers/databases.js';
import { postForm, useSeededServer } from '../helpers/server.js';

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const sqlite = databaseVariants[0]!;

describe('client enumeration through response time', { skip: sqlite.skip }, () => {
  const context = useSeededServer(sqlite.kind);

  async function timeRequest(clientId: string): Promise<number> {
    const started = performance.now();
    const response = await postForm(`${context.server.url}/token`, { grant_type: 'client_credentials' }, { clientId, clientSecret: 'wrong-secret' });
    assert.equal(response.status, 401);
    return performance.now() - started;
  }

  test('an unknown client id takes as long to refuse as a known one with a wrong secret', async () => {
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 12; i += 1) {
      known.push(await timeRequest(context.machine.clientId));
      unknown.push(await timeRequest(`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`));
    }
    const ratio = median(unknown) / median(known);
    // Without the decoy argon2 check the ratio is ~0.1 (a DB miss vs ~30 ms of argon2).
    assert.ok(ratio > 0.6 && ratio < 1.6, `unknown/known median response time ratio ${ratio.toFixed(2)}`);
  });
});
