import { BlockList, isIP } from 'node:net';
import type { Context } from 'koa';
import { LRUCache } from 'lru-cache';
import { clientIp, type TrustProxy } from '../http/client-ip.js';

/** Why a client authentication was refused, when the OAuth error code (`invalid_client`) says less. */
export type RefusalReason = 'ip_not_allowed';

/** Distinct allow-lists kept compiled (allow-lists are few and small): the least recently used go past 1 000. */
const lists = new LRUCache<string, BlockList>({ max: 1_000 });

/**
 * Whether a client with this allow-list may authenticate from `ip` (already
 * resolved through TOLLGATE_TRUST_PROXY and normalised). No allow-list (null
 * or empty) allows every address. Entries were validated when stored
 * (registry/clients.ts); one that no longer parses allows nothing.
 */
function ipAllowed(allowlist: readonly string[] | null | undefined, ip: string): boolean {
  if (!allowlist || allowlist.length === 0) return true;
  const family = isIP(ip);
  if (family === 0) return false;
  return compiled(allowlist).check(ip, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * The one allow-list check of client authentication, whatever the method
 * (secret in `compareClientSecret`, assertion in private-key-jwt.ts): false
 * when the request comes from outside the client's allow-list, and then the
 * refusal is marked `ip_not_allowed` for the audit log. Without a request
 * (no context) a client with an allow-list is refused.
 */
export function allowedFromRequest(allowlist: readonly string[] | null | undefined, ctx: Context | undefined, trustProxy: TrustProxy): boolean {
  if (!allowlist?.length) return true;
  if (ctx && ipAllowed(allowlist, clientIp(ctx, trustProxy))) return true;
  if (ctx) ctx.state.refusalReason = 'ip_not_allowed';
  return false;
}

function compiled(allowlist: readonly string[]): BlockList {
  const id = allowlist.join(',');
  let list = lists.get(id);
  if (!list) {
    list = new BlockList();
    for (const entry of allowlist) {
      const [address = '', prefix] = entry.split('/');
      const family = isIP(address);
      if (family === 0) continue;
      const type = family === 4 ? 'ipv4' : 'ipv6';
      list.addSubnet(address, prefix === undefined ? (family === 4 ? 32 : 128) : Number(prefix), type);
    }
    lists.set(id, list);
  }
  return list;
}
