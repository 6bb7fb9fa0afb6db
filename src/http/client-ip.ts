import { BlockList, isIP, isIPv4 } from 'node:net';

/**
 * Which hops in front of Tollgate may say who the client is
 * (`TOLLGATE_TRUST_PROXY`): none (the socket address is the client), the
 * nearest `hops` proxies, or any proxy whose address is in `cidrs`.
 */
export type TrustProxy =
  | { readonly kind: 'none' }
  | { readonly kind: 'hops'; readonly hops: number }
  | { readonly kind: 'cidrs'; readonly cidrs: readonly string[]; readonly list: BlockList };

/** The request parts the resolution reads; a Koa `Context` is one. */
export interface RequestAddresses {
  readonly req: { readonly socket: { readonly remoteAddress?: string | undefined } };
  get(field: string): string;
}

const NAMED_RANGES: Readonly<Record<string, readonly string[]>> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  private: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

const VARIABLE = 'TOLLGATE_TRUST_PROXY';

/**
 * Parses `TOLLGATE_TRUST_PROXY`: unset, empty, `false` or `0` → trust no proxy;
 * a hop count (`1`, `2`, …); or a comma-separated list of CIDRs, addresses,
 * `loopback` and `private`. `true` is refused: trusting every hop would let
 * any client pick the address it is limited under.
 *
 * @example parseTrustProxy('10.0.0.0/8, fd00::/8')
 */
export function parseTrustProxy(value: string | undefined): TrustProxy {
  const text = (value ?? '').trim().toLowerCase();
  if (text === '' || text === 'false' || text === '0') return Object.freeze({ kind: 'none' });
  if (/^\d+$/.test(text)) {
    const hops = Number(text);
    if (hops > 10) throw new Error(`${VARIABLE} hop count must be between 0 and 10; got "${value}"`);
    return Object.freeze({ kind: 'hops', hops });
  }
  if (text === 'true') {
    throw new Error(`${VARIABLE}=true would trust any X-Forwarded-For a client sends; give the number of proxies (1, 2, …) or their CIDRs`);
  }
  const list = new BlockList();
  const cidrs = text.split(',').map((entry) => entry.trim()).filter(Boolean);
  for (const cidr of cidrs.flatMap((entry) => NAMED_RANGES[entry] ?? [entry])) {
    const [address = '', prefix, extra] = cidr.split('/');
    const family = isIP(address);
    const bits = family === 4 ? 32 : 128;
    const length = prefix === undefined ? bits : /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
    if (family === 0 || extra !== undefined || !(length >= 0 && length <= bits)) {
      throw new Error(`${VARIABLE} must be false, a hop count, or comma-separated CIDRs (10.0.0.0/8, fd00::/8); "${cidr}" is not valid`);
    }
    list.addSubnet(normaliseIp(address) ?? address, length, family === 4 ? 'ipv4' : 'ipv6');
  }
  return Object.freeze({ kind: 'cidrs', cidrs: Object.freeze(cidrs), list });
}

/**
 * The client address a request is limited under. The chain is the socket
 * address followed by X-Forwarded-For read right to left; each hop that is
 * trusted (within the hop count, or inside a trusted CIDR) may name the next
 * one, and the first untrusted or malformed entry ends the walk. With no
 * trust a spoofed header changes nothing. (This is proxy-addr's algorithm,
 * as in Express and Fastify: with fewer entries than hops, the leftmost
 * entry is the client.)
 */
export function clientIp(ctx: RequestAddresses, trustProxy: TrustProxy): string {
  let current = socketAddress(ctx.req.socket);
  if (trustProxy.kind === 'none') return current;
  const forwarded = ctx.get('x-forwarded-for').split(',').reverse();
  for (let hop = 0; hop < forwarded.length; hop += 1) {
    const trusted = trustProxy.kind === 'hops' ? hop < trustProxy.hops : isTrusted(trustProxy.list, current);
    if (!trusted) break;
    const next = normaliseIp(forwarded[hop]!);
    if (next === undefined) break;
    current = next;
  }
  return current;
}

/**
 * Whether the request came straight from a trusted proxy (the socket peer is
 * one), so the X-Forwarded-* headers it sends may be believed.
 */
export function isPeerTrusted(ctx: RequestAddresses, trustProxy: TrustProxy): boolean {
  if (trustProxy.kind === 'none') return false;
  if (trustProxy.kind === 'hops') return trustProxy.hops > 0;
  return isTrusted(trustProxy.list, socketAddress(ctx.req.socket));
}

// A keep-alive connection sends many requests from one address, and the
// token-endpoint gate, the IP allow-list and the audit each ask for it:
// normalise it once per socket.
const socketAddresses = new WeakMap<object, string>();

function socketAddress(socket: RequestAddresses['req']['socket']): string {
  let address = socketAddresses.get(socket);
  if (address === undefined) {
    address = normaliseIp(socket.remoteAddress ?? '') ?? 'unknown';
    // Before the socket connects (or after it closed) there is no address yet: do not remember that.
    if (socket.remoteAddress !== undefined) socketAddresses.set(socket, address);
  }
  return address;
}

function isTrusted(list: BlockList, address: string): boolean {
  const family = isIP(address);
  return family !== 0 && list.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * An address as one canonical string, or undefined when it is not one:
 * trims, drops `[…]:port`, `a.b.c.d:port` and IPv6 zones, lower-cases, and
 * turns IPv4-mapped IPv6 (`::ffff:1.2.3.4`) into the IPv4 address.
 */
export function normaliseIp(raw: string): string | undefined {
  let text = raw.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(text);
  if (bracketed) text = bracketed[1]!;
  else if (/^[\d.]+:\d+$/.test(text)) text = text.slice(0, text.indexOf(':'));
  text = text.split('%')[0]!.toLowerCase();
  const family = isIP(text);
  if (family === 4) return text;
  if (family === 0) return undefined;
  const groups = ipv6Groups(text);
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join('.');
  }
  return text;
}

/**
 * The unit a limit counts: an IPv4 address, or the /64 an IPv6 address
 * belongs to. One IPv6 host usually holds a whole /64, so limiting single
 * IPv6 addresses would give it 2^64 fresh budgets.
 */
export function ipBucket(ip: string): string {
  if (isIPv4(ip) || isIP(ip) === 0) return ip;
  return `${ipv6Groups(ip).slice(0, 4).map((group) => group.toString(16)).join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, dotted tail converted). */
function ipv6Groups(address: string): number[] {
  let text = address;
  const tail = text.slice(text.lastIndexOf(':') + 1);
  if (tail.includes('.')) {
    const [a = 0, b = 0, c = 0, d = 0] = tail.split('.').map(Number);
    text = `${text.slice(0, text.length - tail.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const parse = (part: string | undefined) => (part ? part.split(':').map((group) => parseInt(group, 16)) : []);
  const [head, rest] = text.split('::');
  const left = parse(head);
  if (rest === undefined) return left;
  const right = parse(rest);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}
