import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { drainable } from '../../src/http/drain.js';
import { KeepAliveConnection } from './keep-alive-client.js';

/** A server answering `{}` at once, or for `/slow` after `release()` (`slowArrived` says it is being handled). */
async function startServer() {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let arrived!: () => void;
  const slowArrived = new Promise<void>((resolve) => (arrived = resolve));
  const server = createServer((request, response) => {
    const answer = () => response.setHeader('content-type', 'application/json').end('{}');
    if (request.url !== '/slow') {
      answer();
      return;
    }
    arrived();
    void released.then(answer);
  });
  const drain = drainable(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, drain, release, slowArrived };
}

test('a connection idle when the drain starts still gets its next request answered, with Connection: close', { timeout: 10_000 }, async () => {
  const { url, drain } = await startServer();
  const connection = new KeepAliveConnection(url);
  try {
    assert.equal((await connection.send('GET', '/')).connection, 'keep-alive');
    const drained = drain.drain({ deadlineMs: 5_000, idleGraceMs: 1_000 });
    assert.equal(drain.draining, true);
    const answer = await connection.send('GET', '/');
    assert.equal(answer.reusedSocket, true);
    assert.equal(answer.status, 200);
    assert.equal(answer.connection, 'close');
    assert.equal(await drained, 0);
  } finally {
    connection.close();
  }
});

test('a request in flight finishes with Connection: close; an idle connection is ended after the grace', { timeout: 10_000 }, async () => {
  const { url, drain, release, slowArrived } = await startServer();
  const busy = new KeepAliveConnection(url);
  const idle = new KeepAliveConnection(url);
  try {
    await idle.send('GET', '/');
    const slow = busy.send('GET', '/slow');
    await slowArrived;
    const started = Date.now();
    const drained = drain.drain({ deadlineMs: 5_000, idleGraceMs: 300 });
    release();
    const answer = await slow;
    assert.equal(answer.status, 200);
    assert.equal(answer.connection, 'close');
    assert.equal(await drained, 0, 'nothing was cut');
    assert.ok(Date.now() - started >= 250, 'the idle connection was kept for the grace');
    await assert.rejects(fetch(`${url}/`), 'no new connection is accepted');
  } finally {
    busy.close();
    idle.close();
  }
});

test('what is still open at the deadline is cut and counted', { timeout: 10_000 }, async () => {
  const { url, drain, slowArrived } = await startServer();
  const busy = new KeepAliveConnection(url);
  try {
    const slow = busy.send('GET', '/slow', { timeoutMs: 5_000 });
    await slowArrived;
    assert.equal(await drain.drain({ deadlineMs: 300, idleGraceMs: 100 }), 1);
    await assert.rejects(slow);
  } finally {
    busy.close();
  }
});
