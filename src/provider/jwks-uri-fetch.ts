import { lookup } from 'node:dns/promises';
import { LRUCache } from 'lru-cache';
import type { Configuration } from 'oidc-provider';
import { isSpecialUseAddress, isSpecialUseHost } from './special-use-address.js';

/** A client's jwks_uri must answer within this, or the assertion fails (invalid_client). */
const FETCH_TIMEOUT_MS = 2_000;
/** A JWKS larger than this is refused: a key set of ten RSA-4096 keys is well under it. */
export const JWKS_MAX_BYTES = 64 * 1024;
/**
 * How long a failed jwks_uri is not asked again: every assertion of its
 * client fails at once in that window instead of opening a connection each.
 * Short, so a fixed key server is used again soon.
 */
export const FAILURE_CACHE_MS = 30_000;
/** Distinct failing URLs remembered; past this the oldest is forgotten (and may be fetched again). */
const FAILURE_CACHE_ENTRIES = 1_000;

export interface JwksUriFetchOptions {
  /** TOLLGATE_JWKS_URI_PRIVATE_NETWORK=allow: loopback and private addresses may be fetched. */
  readonly privateNetwork: boolean;
  /** Epoch milliseconds (tests). */
  readonly clock?: () => number;
  /** Resolves a host name to its addresses; DNS by default. */
  readonly resolve?: (hostname: string) => Promise<string[]>;
}

const resolveWithDns = async (hostname: string) => (await lookup(hostname, { all: true })).map((entry) => entry.address);

class JwksUriRefused extends Error {
  override name = 'JwksUriRefused';
}

/** Reads at most `maxBytes` of a body; more is a failure, and the rest is never read. */
async function readBounded(response: Response, maxBytes: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body ?? []) {
    size += chunk.byteLength;
    if (size > maxBytes) throw new JwksUriRefused(`jwks_uri response exceeds ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function checkKeySet(bytes: Uint8Array): void {
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new JwksUriRefused('jwks_uri response is not JSON');
  }
  if (!Array.isArray((body as { keys?: unknown } | null)?.keys)) throw new JwksUriRefused('jwks_uri response is not a JWK Set');
}

/**
 * How oidc-provider fetches a client's jwks_uri (its `fetch` hook):
 *
 * - unless private networks are allowed, a host that is a special-use
 *   address in any spelling, or a name resolving to one, is refused before
 *   any connection is opened (the provider's own guard, which stays on,
 *   only closes such a connection after it is made);
 * - a short timeout, no redirects, a bounded body;
 * - a failure (refused, unreachable, timed out, not 200, not a key set) is
 *   remembered for FAILURE_CACHE_MS, so assertions naming a broken
 *   jwks_uri cost no outbound connection each. Successes are cached by the
 *   provider (60 s at least, longer with Cache-Control max-age).
 */
export function jwksUriFetch(options: JwksUriFetchOptions): NonNullable<Configuration['fetch']> {
  const clock = options.clock ?? Date.now;
  const resolve = options.resolve ?? resolveWithDns;
  const failedUntil = new LRUCache<string, number>({ max: FAILURE_CACHE_ENTRIES });

  async function guard(url: URL): Promise<void> {
    if (options.privateNetwork) return;
    if (isSpecialUseHost(url.hostname)) throw new JwksUriRefused('jwks_uri names a private, loopback or reserved address');
    if (url.hostname.startsWith('[') || /^[\d.]+$/.test(url.hostname)) return;
    const addresses = await resolve(url.hostname);
    if (addresses.some(isSpecialUseAddress)) throw new JwksUriRefused('jwks_uri resolves to a private, loopback or reserved address');
  }

  async function fetchKeySet(url: URL, init: RequestInit & { dispatcher?: unknown }): Promise<Response> {
    await guard(url);
    const request: RequestInit & { dispatcher?: unknown } = { ...init, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), redirect: 'error' };
    // The provider's dispatcher closes connections to special-use addresses after they open: keep it unless they are allowed.
    if (options.privateNetwork) delete request.dispatcher;
    const response = await fetch(url, request);
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new JwksUriRefused(`jwks_uri answered ${response.status}`);
    }
    const body = await readBounded(response, JWKS_MAX_BYTES);
    checkKeySet(body);
    return new Response(body, { status: response.status, headers: response.headers });
  }

  return async (input, init = {}) => {
    const url = new URL(String(input));
    const key = url.href;
    const until = failedUntil.get(key);
    if (until !== undefined && until > clock()) throw new JwksUriRefused('jwks_uri failed recently; not fetched again yet');
    try {
      const response = await fetchKeySet(url, init);
      failedUntil.delete(key);
      return response;
    } catch (error) {
      failedUntil.set(key, clock() + FAILURE_CACHE_MS);
      throw error;
    }
  };
}
