import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { clientIdOf } from '../../src/http/client-id.js';
import { clientIp, ipBucket, normaliseIp, parseTrustProxy } from '../../src/http/client-ip.js';

/** The two things clientIp reads, as a Koa context offers them. */
function request(remoteAddress: string | undefined, headers: Record<string, string> = {}) {
  return { req: { socket: { remoteAddress } }, get: (field: string) => headers[field.toLowerCase()] ?? '' };
}

describe('TOLLGATE_TRUST_PROXY', () => {
  test('unset, empty, false and 0 trust no proxy', () => {
    for (const value of [undefined, '', 'false', 'FALSE', '0']) assert.deepEqual(parseTrustProxy(value), { kind: 'none' });
  });

  test('a number is a hop count', () => {
    assert.deepEqual(parseTrustProxy('1'), { kind: 'hops', hops: 1 });
    assert.deepEqual(parseTrustProxy(' 3 '), { kind: 'hops', hops: 3 });
  });

  test('a list of CIDRs, addresses and named ranges', () => {
    const trust = parseTrustProxy('10.0.0.0/8, fd00::/8,192.0.2.7,loopback');
    assert.equal(trust.kind, 'cidrs');
    assert.deepEqual(trust.kind === 'cidrs' && trust.cidrs, ['10.0.0.0/8', 'fd00::/8', '192.0.2.7', 'loopback']);
  });

  test('bad input fails with the variable named', () => {
    for (const bad of ['true', '10.0.0.0/33', 'fd00::/129', 'not-an-ip', '10.0.0/8', '10.0.0.0/8/1', '99', '1.2.3.4/x']) {
      assert.throws(() => parseTrustProxy(bad), /TOLLGATE_TRUST_PROXY/, bad);
    }
  });
});

describe('client address', () => {
  test('by default the socket address, whatever X-Forwarded-For says', () => {
    const trust = parseTrustProxy(undefined);
    assert.equal(clientIp(request('198.51.100.7', { 'x-forwarded-for': '203.0.113.9' }), trust), '198.51.100.7');
    assert.equal(clientIp(request('::ffff:198.51.100.7'), trust), '198.51.100.7');
    assert.equal(clientIp(request(undefined), trust), 'unknown');
  });

  test('a hop count takes that many entries from the right', () => {
    const spoofed = { 'x-forwarded-for': '6.6.6.6, 203.0.113.9, 10.0.0.2' };
    assert.equal(clientIp(request('10.0.0.1', spoofed), parseTrustProxy('1')), '10.0.0.2');
    assert.equal(clientIp(request('10.0.0.1', spoofed), parseTrustProxy('2')), '203.0.113.9');
    // Fewer entries than hops: the leftmost one (as Express and Fastify do).
    assert.equal(clientIp(request('10.0.0.1', { 'x-forwarded-for': '203.0.113.9' }), parseTrustProxy('2')), '203.0.113.9');
    // No header: the socket address.
    assert.equal(clientIp(request('10.0.0.1'), parseTrustProxy('1')), '10.0.0.1');
  });

  test('a CIDR list skips trusted proxies from the right and stops at the first other address', () => {
    const trust = parseTrustProxy('10.0.0.0/8, fd00::/8');
    const headers = { 'x-forwarded-for': '6.6.6.6, 203.0.113.9, 10.1.2.3, fd00::5' };
    assert.equal(clientIp(request('10.0.0.1', headers), trust), '203.0.113.9');
    // The socket is not a trusted proxy: the header is ignored.
    assert.equal(clientIp(request('198.51.100.7', headers), trust), '198.51.100.7');
    // A malformed entry ends the walk at the last trusted hop.
    assert.equal(clientIp(request('10.0.0.1', { 'x-forwarded-for': 'garbage, 10.0.0.9' }), trust), '10.0.0.9');
  });

  test('IPv6 clients, proxies, brackets, ports and IPv4-mapped addresses', () => {
    const trust = parseTrustProxy('2001:db8:ffff::/48');
    assert.equal(clientIp(request('2001:db8:ffff::1', { 'x-forwarded-for': '2001:DB8:1:2::abcd' }), trust), '2001:db8:1:2::abcd');
    assert.equal(clientIp(request('::ffff:10.0.0.1', { 'x-forwarded-for': '1.2.3.4' }), parseTrustProxy('10.0.0.0/8')), '1.2.3.4');
    assert.equal(clientIp(request('10.0.0.1', { 'x-forwarded-for': '[2001:db8::7]:4431' }), parseTrustProxy('1')), '2001:db8::7');
    assert.equal(clientIp(request('10.0.0.1', { 'x-forwarded-for': '203.0.113.9:5555' }), parseTrustProxy('1')), '203.0.113.9');
    assert.equal(normaliseIp('::ffff:c000:0201'), '192.0.2.1');
    assert.equal(normaliseIp('fe80::1%eth0'), 'fe80::1');
    assert.equal(normaliseIp('nonsense'), undefined);
  });

  test('IPv6 addresses are counted per /64, IPv4 per address', () => {
    assert.equal(ipBucket('2001:db8:1:2::abcd'), '2001:db8:1:2::/64');
    assert.equal(ipBucket('2001:0db8:0001:0002:ffff:0:0:1'), '2001:db8:1:2::/64');
    assert.equal(ipBucket('::1'), '0:0:0:0::/64');
    assert.equal(ipBucket('64:ff9b::192.0.2.1'), '64:ff9b:0:0::/64');
    assert.equal(ipBucket('203.0.113.9'), '203.0.113.9');
  });
});

describe('client id from the Authorization header', () => {
  const basic = (credentials: string) => ({ get: () => `Basic ${Buffer.from(credentials).toString('base64')}` });

  test('client_secret_basic: the form-urlencoded id before the first colon', () => {
    assert.equal(clientIdOf(basic('billing-job:secret')), 'billing-job');
    assert.equal(clientIdOf(basic('my%3Aclient+1:se:cret')), 'my:client 1');
    assert.equal(clientIdOf({ get: () => `basic   ${Buffer.from('a:b').toString('base64')}` }), 'a');
  });

  test('no id when there is no usable Basic header', () => {
    assert.equal(clientIdOf({ get: () => '' }), undefined);
    assert.equal(clientIdOf({ get: () => 'Bearer abc' }), undefined);
    assert.equal(clientIdOf({ get: () => 'Basic !!!' }), undefined);
    assert.equal(clientIdOf(basic('no-colon')), undefined);
    assert.equal(clientIdOf(basic(':secret')), undefined);
    assert.equal(clientIdOf(basic('%E0%A4%A:secret')), undefined);
    assert.equal(clientIdOf(basic(`${'x'.repeat(300)}:secret`)), undefined);
  });
});
