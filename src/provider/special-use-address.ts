import { BlockList, isIP } from 'node:net';

/**
 * Addresses a client's jwks_uri must never reach: loopback, private,
 * link-local, shared, documentation, benchmarking, multicast and reserved
 * ranges (RFC 6890's special-use registries), and every IPv6 form that
 * embeds an IPv4 address (mapped, compatible, NAT64, 6to4), which could
 * otherwise smuggle in 127.0.0.1.
 */
const SPECIAL_USE = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.31.196.0', 24], ['192.52.193.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16],
  ['192.175.48.0', 24], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) {
  SPECIAL_USE.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 96], ['::ffff:0:0', 96], ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['100::', 64], ['2001::', 23], ['2001:db8::', 32],
  ['2002::', 16], ['3fff::', 20], ['5f00::', 16], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
] as const) {
  SPECIAL_USE.addSubnet(network, prefix, 'ipv6');
}

/** True for an IP address (either family, any spelling `isIP` accepts) in a special-use range. */
export function isSpecialUseAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return SPECIAL_USE.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * True when a URL's host is a special-use IP literal or a name that is
 * loopback by definition (`localhost`, `*.localhost`, RFC 6761). The WHATWG
 * parser has already turned `127.1`, `2130706433`, `0x7f000001` and
 * `0177.0.0.1` into `127.0.0.1`, and `[::ffff:127.0.0.1]` into
 * `[::ffff:7f00:1]`; brackets are removed here.
 */
export function isSpecialUseHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || isSpecialUseAddress(host);
}
