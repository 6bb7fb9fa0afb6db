import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { generateApiKey } from '../../src/api-keys/format.js';
import { postForm, seedMachineClient, startTestServer, type MachineClient, type TestServer } from '../helpers/server.js';

const FAILURE_LIMIT = 3;

describe('a resource service introspecting tokens that are not active', () => {
  let server: TestServer;
  let service: MachineClient;
  before(async () => {
    server = await startTestServer('sqlite', {
      env: { TOLLGATE_RATE_LIMITS: 'on', TOLLGATE_RATE_LIMIT_AUTH_FAILURES: `${FAILURE_LIMIT}/min`, TOLLGATE_RATE_LIMIT_AUTH_FAILURES_IP: `${FAILURE_LIMIT}/min` },
    });
    service = await seedMachineClient(server);
  });
  after(() => server?.stop());

  const introspect = (token: string, auth: MachineClient = service) => postForm(`${server.url}/token/introspection`, { token }, auth);

  test('unknown tokens and unknown API keys are answered inactive and never count as failed authentications of the service', async () => {
    const unknown = () => [`not-a-token-${Math.random()}`, generateApiKey('test').key];
    // Sequentially (the first proves the service's credential), then a parallel burst of four times the limit.
    for (let round = 0; round < FAILURE_LIMIT * 2; round += 1) {
      for (const token of unknown()) {
        const answer = await introspect(token);
        assert.equal(answer.status, 200);
        assert.deepEqual(answer.body, { active: false });
      }
    }
    const burst = await Promise.all(Array.from({ length: FAILURE_LIMIT * 4 }, (_, index) => introspect(unknown()[index % 2]!)));
    assert.deepEqual([...new Set(burst.map((answer) => answer.status))], [200]);
    // client_secret_post: each request reserves on the address's count and gives it back.
    for (let round = 0; round < FAILURE_LIMIT * 2; round += 1) {
      const answer = await postForm(`${server.url}/token/introspection`, { token: unknown()[0]!, client_id: service.clientId, client_secret: service.clientSecret });
      assert.equal(answer.status, 200);
    }
    // Only now do failures start counting: the limit's worth of wrong secrets are refused, then the lock.
    const wrong = { ...service, clientSecret: 'wrong' };
    const statuses = [];
    for (let attempt = 0; attempt <= FAILURE_LIMIT; attempt += 1) statuses.push((await introspect('x', wrong)).status);
    assert.deepEqual(statuses, [401, 401, 401, 429]);
  });
});
