import { isIP } from 'node:net';
import { invalidRequest } from '../../errors.js';

/** An allow-list entry is an IP address or a CIDR block. */
export function checkIpAllowlist(entries: readonly string[]): void {
  for (const entry of entries) {
    const [address = '', prefix] = entry.split('/');
    const family = isIP(address);
    const maxPrefix = family === 6 ? 128 : 32;
    const prefixValid = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= maxPrefix);
    if (family === 0 || !prefixValid) throw invalidRequest(`ip_allowlist entry ${entry} is not an IP address or CIDR block`);
  }
}

/**
 * A CORS origin is exactly what browsers send in `Origin`: scheme, host and
 * optional port, nothing else (no path, no trailing slash, no wildcard), and
 * https unless it is a loopback development origin.
 */
export function checkCorsOrigins(entries: readonly string[]): void {
  for (const entry of entries) {
    const url = URL.canParse(entry) ? new URL(entry) : undefined;
    const loopback = url && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
    // WHATWG URLs accept `*` in a host name; an origin never has one.
    const plainHost = url && /^([a-z0-9-]+\.)*[a-z0-9-]+$|^\[[0-9a-f:.]+\]$/.test(url.hostname);
    if (!url || !plainHost || url.origin !== entry || !(url.protocol === 'https:' || (url.protocol === 'http:' && loopback))) {
      throw invalidRequest(`cors_origins entry ${entry} is not an origin (https://app.example.com, or http://localhost:<port>)`);
    }
  }
}

