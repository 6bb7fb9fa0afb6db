import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import * as oauth from 'oauth4webapi';
import { FAILURE_CACHE_MS, jwksUriFetch } from '../../src/provider/jwks-uri-fetch.js';
import { API, startTestServer, type TestServer } from '../helpers/server.js';
import { clientKey, discover, expectOAuthError, insecure, seedClient, type ClientKey } from './key-clients.js';

/** A TCP listener that counts connections and answers each with `reply` (or drops it). */
async function countingListener(host: string, reply: ((socket: Socket) => void) | 'drop'): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    if (reply === 'drop') socket.destroy();
    else socket.once('data', () => reply(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => connections,
    close: () => {
      sockets.forEach((socket) => socket.destroy());
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

const httpReply = (status: string, body: string) => (socket: Socket) =>
  socket.end(`HTTP/1.1 ${status}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);

async function assertionRefused(server: TestServer, clientId: string, key: ClientKey): Promise<void> {
  const as = await discover(server);
  const client: oauth.Client = { client_id: clientId };
  const response = await oauth.clientCredentialsGrantRequest(as, client, key.auth, new URLSearchParams({ resource: API }), insecure);
  await expectOAuthError(oauth.processClientCredentialsResponse(as, client, response), 401, 'invalid_client');
}

describe('a failing jwks_uri is contacted once per failure window, not once per assertion', { timeout: 60_000 }, () => {
  let server: TestServer;
  before(async () => {
    // The key servers below listen on 127.0.0.1, which only this setting lets the fetch reach.
    server = await startTestServer('sqlite', { env: { TOLLGATE_JWKS_URI_PRIVATE_NETWORK: 'allow' } });
  });
  after(() => server?.stop());

  for (const [label, reply] of [
    ['answers 500', httpReply('500 Internal Server Error', '{}')],
    ['answers 200 with no key set', httpReply('200 OK', '{"keys":"none"}')],
    ['drops the connection', 'drop'],
  ] as const) {
    test(`a jwks_uri that ${label}: 30 assertions, one connection, every one invalid_client`, async () => {
      const listener = await countingListener('127.0.0.1', reply);
      try {
        const key = await clientKey();
        const { clientId } = await seedClient(server, { token_endpoint_auth_method: 'private_key_jwt', jwks_uri: `http://127.0.0.1:${listener.port}/jwks.json` });
        for (let attempt = 0; attempt < 30; attempt += 1) await assertionRefused(server, clientId, key);
        assert.equal(listener.connections(), 1);
      } finally {
        await listener.close();
      }
    });
  }
});

describe('a jwks_uri naming a private or loopback address in any spelling is never contacted (the default)', { timeout: 60_000 }, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer('sqlite');
  });
  after(() => server?.stop());

  test('IPv4 in decimal, hex, octal and short forms, 0.0.0.0, IPv4-mapped and -compatible IPv6, ::1, localhost, link-local: no connection, invalid_client at once', async () => {
    const v4 = await countingListener('127.0.0.1', httpReply('200 OK', '{"keys":[]}'));
    const v6 = await countingListener('::1', httpReply('200 OK', '{"keys":[]}')).catch(() => undefined);
    try {
      const hosts = [
        ...['127.0.0.1', '127.1', '2130706433', '0x7f000001', '0177.0.0.1', '0.0.0.0', '[::ffff:127.0.0.1]', '[::ffff:7f00:1]', '[0:0:0:0:0:ffff:7f00:1]', '[::127.0.0.1]', 'localhost', 'keys.localhost'].map((host) => `${host}:${v4.port}`),
        ...(v6 ? ['[::1]', '[0:0:0:0:0:0:0:1]'].map((host) => `${host}:${v6.port}`) : []),
        '169.254.169.254', '10.0.0.1', '[fe80::1]', '[fd00::1]', '100.64.0.1',
      ];
      const key = await clientKey();
      for (const host of hosts) {
        const { clientId } = await seedClient(server, { token_endpoint_auth_method: 'private_key_jwt', jwks_uri: `https://${host}/jwks.json` });
        const started = performance.now();
        await assertionRefused(server, clientId, key);
        assert.ok(performance.now() - started < 1_500, `${host}: refused without waiting for a connection`);
      }
      assert.equal(v4.connections(), 0, 'nothing reached 127.0.0.1');
      assert.equal(v6?.connections() ?? 0, 0, 'nothing reached ::1');
    } finally {
      await v4.close();
      await v6?.close();
    }
  });
});

describe('the jwks_uri fetch hook on its own (injected clock and resolver)', { timeout: 30_000 }, () => {
  test('a failure is remembered for the failure window, then the URL is tried again; a success clears it', async () => {
    let ok = false;
    const listener = await countingListener('127.0.0.1', (socket) => (ok ? httpReply('200 OK', '{"keys":[]}') : httpReply('503 Service Unavailable', '{}'))(socket));
    let now = 1_000_000;
    const fetchJwks = jwksUriFetch({ privateNetwork: true, clock: () => now });
    const url = `http://127.0.0.1:${listener.port}/jwks.json`;
    try {
      await assert.rejects(fetchJwks(url, {}), /answered 503/);
      await assert.rejects(fetchJwks(url, {}), /failed recently/);
      now += FAILURE_CACHE_MS - 1;
      await assert.rejects(fetchJwks(url, {}), /failed recently/);
      assert.equal(listener.connections(), 1, 'one connection in the window');
      now += 1;
      ok = true;
      assert.equal((await fetchJwks(url, {})).status, 200);
      assert.equal((await fetchJwks(url, {})).status, 200, 'a success is not remembered as a failure');
      assert.equal(listener.connections(), 3);
    } finally {
      await listener.close();
    }
  });

  test('a host name that resolves to a private address is refused before connecting; a public one is asked', async () => {
    const resolved: string[] = [];
    const fetchJwks = jwksUriFetch({
      privateNetwork: false,
      resolve: async (hostname) => {
        resolved.push(hostname);
        return hostname === 'keys.internal.test' ? ['93.184.216.34', '10.1.2.3'] : ['::ffff:169.254.169.254'];
      },
    });
    await assert.rejects(fetchJwks('https://keys.internal.test/jwks.json', {}), /resolves to a private, loopback or reserved address/);
    await assert.rejects(fetchJwks('https://metadata.cloud.test/jwks.json', {}), /resolves to a private/);
    await assert.rejects(fetchJwks('https://[::ffff:a9fe:a9fe]/jwks.json', {}), /names a private/);
    assert.deepEqual(resolved, ['keys.internal.test', 'metadata.cloud.test'], 'IP literals are judged without a lookup');
  });
});
