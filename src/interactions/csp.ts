/** What the policy needs of a Koa context (a plain object in unit tests). */
export interface HeaderSetter {
  set(field: string, value: string): void;
}

/** Where the pages' one stylesheet is served (style-src 'self': no inline style). */
export const STYLESHEET_PATH = '/interaction-assets/tollgate.css';

/** A scheme, or a scheme with a host of DNS labels, IPv4 or bracketed IPv6, and a port: nothing a policy reads as a wildcard or separator. */
const CSP_SOURCE = /^[a-z][a-z0-9+.-]*:(?:\/\/(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?)?$/;

/**
 * What `form-action` must allow for a redirect to `uri`: browsers (Chromium
 * among them) apply form-action to every redirect that follows a form POST,
 * so after the consent form the redirect to the client's redirect_uri is
 * blocked unless its origin (or, for a private-use scheme, its scheme) is
 * listed.
 */
function formActionSource(uri: string): string | undefined {
  if (!URL.canParse(uri)) return undefined;
  const url = new URL(uri);
  const source = url.protocol === 'https:' || url.protocol === 'http:' ? url.origin : url.protocol;
  // Registration refuses wildcards and separators (registry/app-clients.ts);
  // a URI stored before that rule must still not widen or break the policy.
  return CSP_SOURCE.test(source) ? source : undefined;
}

/**
 * A strict policy for the server-rendered pages: nothing loads but the
 * stylesheet, no script at all, not framable, and forms post only here and
 * redirect only to the client's registered redirect URIs.
 */
export function setPagePolicy(ctx: HeaderSetter, redirectUris: readonly string[]): void {
  const targets = [...new Set(redirectUris.map(formActionSource).filter((source): source is string => source !== undefined))];
  ctx.set(
    'Content-Security-Policy',
    [
      "default-src 'none'",
      "style-src 'self'",
      "img-src 'self'",
      `form-action 'self'${targets.map((target) => ` ${target}`).join('')}`,
      "frame-ancestors 'none'",
      "base-uri 'none'",
    ].join('; '),
  );
  // Pages carry per-interaction CSRF tokens: never cached, never shared.
  ctx.set('Cache-Control', 'no-store');
}
