import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Registry } from 'prom-client';
import type { EndpointOutcome } from '../../src/provider/endpoint-outcome.js';
import { createOutcomeCounters } from '../../src/metrics/outcome-counters.js';
import { parseExposition, samplesOf, valueOf } from './exposition.js';

const issued = (clientId: string, tenantId = 'tenant-1'): EndpointOutcome => ({
  endpoint: 'token',
  succeeded: true,
  status: 200,
  error: undefined,
  reason: undefined,
  grantType: 'client_credentials',
  clientId,
  tenantId,
  ip: '127.0.0.1',
  requestId: undefined,
  at: 0,
});

describe('client-id label bound', () => {
  test('the first N client ids keep their label, later ones count as other, and totals stay right', async () => {
    const registry = new Registry();
    const listener = createOutcomeCounters({ registry, maxClientLabels: 2 });
    for (const clientId of ['a', 'b', 'c', 'a', 'd', 'b']) listener(issued(clientId));
    const samples = parseExposition(await registry.metrics());
    const count = (client_id: string) => valueOf(samples, 'tollgate_tokens_issued_total', { client_id, tenant_id: 'tenant-1', grant_type: 'client_credentials' });
    assert.equal(count('a'), 2);
    assert.equal(count('b'), 2);
    assert.equal(count('other'), 2);
    assert.equal(samplesOf(samples, 'tollgate_tokens_issued_total').length, 3);
  });

  test('refusal reasons outside the known OAuth codes fold into other', async () => {
    const registry = new Registry();
    const listener = createOutcomeCounters({ registry, maxClientLabels: 10 });
    for (const error of ['invalid_client', 'made_up_code', 'another_one']) {
      listener({ ...issued('x'), succeeded: false, status: 400, error, tenantId: undefined });
    }
    const samples = parseExposition(await registry.metrics());
    assert.equal(valueOf(samples, 'tollgate_client_auth_failures_total', { endpoint: 'token', reason: 'invalid_client' }), 1);
    assert.equal(valueOf(samples, 'tollgate_client_auth_failures_total', { endpoint: 'token', reason: 'other' }), 2);
    assert.deepEqual(samplesOf(samples, 'tollgate_tokens_issued_total'), []);
  });
});
