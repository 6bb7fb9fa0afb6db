import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { setPagePolicy } from '../interactions/csp.js';
import { signOutContinuePage } from '../interactions/templates.js';

/** What the provider keeps in the session while a logout waits for its confirmation POST. */
interface LogoutState {
  secret?: string;
  postLogoutRedirectUri?: string;
}

/** Routes where the provider answers with its auto-submitting logout form (see below). */
const ROUTES = new Set(['end_session', 'resume']);

/**
 * oidc-provider answers `/session/end` without a signed-in session, and an
 * authorization resumed by another account, with a page whose inline script
 * submits the logout form at once (`response_modes/form_post.js`); the
 * configuration hooks (`logoutSource`) are not called there. This
 * post-processing step (`provider.use`, the provider's documented way to
 * act around its routes) replaces that page with Tollgate's own: the same
 * form (the session's xsrf secret, `logout=yes`) with a button, under the
 * sign-in pages' strict CSP, so no page of Tollgate runs script.
 */
export function serveLogoutWithoutScript(provider: Provider): void {
  provider.use(async (ctx, next) => {
    await next();
    const { oidc } = ctx as KoaContextWithOIDC;
    if (!oidc?.route || !ROUTES.has(oidc.route) || typeof ctx.body !== 'string' || !ctx.response.is('html') || !ctx.body.includes('<script')) return;
    const state = oidc.session?.state as LogoutState | undefined;
    if (!state?.secret) return;
    setPagePolicy(ctx, state.postLogoutRedirectUri ? [state.postLogoutRedirectUri] : []);
    ctx.body = signOutContinuePage({ action: oidc.urlFor('end_session_confirm'), xsrf: state.secret, clientName: oidc.client?.clientName });
  });
}
