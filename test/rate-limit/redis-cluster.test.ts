import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { subscribeToKeyChanges, announceKeyChange } from '../../src/keys/change-channel.js';
import { clusterTarget } from '../../src/redis/client.js';
import { ownRedisUnavailable, startOwnRedisCluster, type OwnRedisCluster } from '../helpers/own-redis.js';
import { eventually, postForm, seedMachineClient, silentLogger, startTestServer, type TestServer } from '../helpers/server.js';

const skip = !process.env['TEST_REDIS_URL'] ? 'Redis suite skipped: TEST_REDIS_URL is not set' : (ownRedisUnavailable() ?? false);

describe('on a Redis Cluster (REDIS_CLUSTER_NODES)', { skip }, () => {
  let cluster: OwnRedisCluster;
  let a: TestServer;
  let b: TestServer;
  const logLines: string[] = [];
  before(async () => {
    cluster = await startOwnRedisCluster();
    const env = {
      REDIS_CLUSTER_NODES: cluster.nodes,
      TOLLGATE_RATE_LIMITS: 'on',
      TOLLGATE_RATE_LIMIT_AUTH_FAILURES: '3/min',
      TOLLGATE_RATE_LIMIT_IP: '100000/min',
      TOLLGATE_RATE_LIMIT_AUTH_FAILURES_IP: '100000/min',
    };
    a = await startTestServer('sqlite', { env, logLines });
    b = await startTestServer('sqlite', { env, sharing: a, logLines });
  });
  after(async () => {
    await b?.stop();
    await a?.stop();
    await cluster?.destroy();
  });

  const token = (server: TestServer, client: { clientId: string; clientSecret: string }) =>
    postForm(`${server.url}/token`, { grant_type: 'client_credentials' }, client);

  test('failed authentications and token quotas are shared across instances, with no cross-slot errors', async () => {
    const attacked = await seedMachineClient(a);
    const wrong = { ...attacked, clientSecret: 'wrong' };
    for (const server of [a, b, a]) assert.equal((await token(server, wrong)).status, 401);
    assert.equal((await token(b, wrong)).status, 429);

    const metered = await seedMachineClient(a);
    await a.registry.clients.update(metered.clientId, { token_quota: '2/h' });
    await eventually(async () => assert.equal((await token(a, metered)).headers.get('ratelimit-limit'), '2'));
    assert.equal((await token(b, metered)).status, 200);
    const refused = await token(b, metered);
    assert.equal(refused.status, 429);
    assert.equal(refused.body['error'], 'rate_limited');

    assert.equal((await fetch(`${a.url}/readyz`)).status, 200);
    const redisTrouble = logLines.filter((line) => /redis/i.test(line) && /"level":"(warn|error)"/.test(line));
    assert.deepEqual(redisTrouble, [], 'every script ran inside one slot');
  });

  test('a key change announced on the cluster reaches subscribers', async () => {
    const target = clusterTarget(cluster.nodes);
    let heard = 0;
    const subscription = subscribeToKeyChanges(target, () => (heard += 1), silentLogger);
    try {
      await eventually(async () => {
        assert.equal(await announceKeyChange(target), true);
        assert.ok(heard > 0);
      }, 5_000);
    } finally {
      await subscription.close();
    }
  });
});
