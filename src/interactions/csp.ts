import type { ParameterizedContext } from 'koa';

/** Where the pages' one stylesheet is served (style-src 'self': no inline style). */
export const STYLESHEET_PATH = '/interaction-assets/tollgate.css';

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
  if (url.protocol === 'https:' || url.protocol === 'http:') return url.origin;
  return url.protocol;
}

/**
 * A strict policy for the server-rendered pages: nothing loads but the
 * stylesheet, no script at all, not framable, and forms post only here and
 * redirect only to the client's registered redirect URIs.
 */
export function setPagePolicy(ctx: Pick<ParameterizedContext, 'set'>, redirectUris: readonly string[]): void {
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
