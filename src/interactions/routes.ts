import type { Middleware, ParameterizedContext } from 'koa';
import { errors, type Client, type default as Provider } from 'oidc-provider';
import { clientIp, type TrustProxy } from '../http/client-ip.js';
import type { SignIn, UserRepository } from '../users/index.js';
import { setPagePolicy, STYLESHEET_PATH } from './csp.js';
import type { CsrfTokens } from './csrf.js';
import { readForm } from './form-body.js';
import { describeScopes, grantConsent } from './consent.js';
import { consentPage, loginPage, messagePage, STYLESHEET } from './templates.js';

export interface InteractionRoutesOptions {
  /** The live provider (it is rebuilt when signing keys rotate). */
  readonly provider: () => Provider;
  readonly users: UserRepository;
  readonly signIn: SignIn;
  readonly csrf: CsrfTokens;
  readonly trustProxy: TrustProxy;
}

const ROUTE = /^\/interaction\/([A-Za-z0-9_-]{1,64})(?:\/(login|confirm|abort))?$/;

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

type ClientView = Pick<Client, 'clientName' | 'clientId' | 'redirectUris' | 'tenant_id'>;

function send(ctx: ParameterizedContext, status: number, body: string, redirectUris: readonly string[]): void {
  setPagePolicy(ctx, redirectUris);
  ctx.status = status;
  ctx.type = 'html';
  ctx.body = body;
}

/**
 * The login and consent pages of the authorization-code flow, as Koa
 * middleware in front of the provider (oidc-provider's `interactions.url`
 * points here). GET renders the page the interaction's prompt asks for;
 * POSTs check the per-interaction CSRF token, then hand the result back to
 * the provider (`interactionResult`) and redirect to where it resumes.
 */
export function interactionRoutes(options: InteractionRoutesOptions): Middleware {
  const { csrf } = options;

  async function load(ctx: ParameterizedContext): Promise<{ details: Details; client: ClientView }> {
    const provider = options.provider();
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const client = await provider.Client.find(String(details.params['client_id']));
    if (!client) throw new errors.InvalidClient('client is no longer available');
    return { details, client };
  }

  async function showPrompt(ctx: ParameterizedContext, details: Details, client: ClientView, error?: { status: number; message: string; email?: string }) {
    const uid = details.uid;
    const clientName = client.clientName ?? client.clientId;
    const redirects = client.redirectUris ?? [];
    if (details.prompt.name === 'login') {
      send(ctx, error?.status ?? 200, loginPage({ action: `/interaction/${uid}/login`, csrf: csrf.tokenFor(uid), clientName, ...(error ? { error: error.message } : {}), ...(error?.email ? { email: error.email } : {}) }), redirects);
      return;
    }
    const user = await options.users.findById(String(details.session?.accountId));
    send(
      ctx,
      error?.status ?? 200,
      consentPage({
        action: `/interaction/${uid}/confirm`,
        abortAction: `/interaction/${uid}/abort`,
        csrf: csrf.tokenFor(uid),
        clientName,
        email: user?.email ?? '',
        requests: describeScopes(details),
      }),
      redirects,
    );
  }

  async function finish(ctx: ParameterizedContext, result: Parameters<Provider['interactionResult']>[2]) {
    const returnTo = await options.provider().interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
    ctx.status = 303;
    ctx.redirect(returnTo);
  }

  async function handle(ctx: ParameterizedContext, action: string | undefined): Promise<void> {
    const { details, client } = await load(ctx);
    const redirects = client.redirectUris ?? [];
    if (ctx.method === 'GET' && action === undefined) return showPrompt(ctx, details, client);
    if (ctx.method !== 'POST' || action === undefined) {
      ctx.set('Allow', action ? 'POST' : 'GET');
      return send(ctx, 405, messagePage('Not allowed', 'This page does not accept that request.'), redirects);
    }
    const form = await readForm(ctx);
    if (!csrf.verify(details.uid, form.get('csrf'))) {
      return send(ctx, 403, messagePage('Request refused', 'This form has expired or did not come from this page. Go back to the app and sign in again.'), redirects);
    }

    if (action === 'abort') {
      return finish(ctx, { error: 'access_denied', error_description: 'the user cancelled the request' });
    }
    if (action === 'login') {
      if (details.prompt.name !== 'login') return showPrompt(ctx, details, client);
      const email = form.get('email') ?? '';
      const outcome = await options.signIn.attempt({
        tenantId: String(client.tenant_id),
        email,
        password: form.get('password') ?? '',
        ip: clientIp(ctx, options.trustProxy),
      });
      if (!outcome.ok) {
        if (outcome.reason === 'throttled') ctx.set('Retry-After', String(outcome.retryAfterSeconds));
        const message = outcome.reason === 'throttled' ? 'Too many attempts. Wait a moment, then try again.' : 'Incorrect email address or password.';
        return showPrompt(ctx, details, client, { status: outcome.reason === 'throttled' ? 429 : 401, message, email });
      }
      return finish(ctx, { login: { accountId: outcome.user.id, amr: ['pwd'] } });
    }
    // confirm
    if (details.prompt.name !== 'consent') return showPrompt(ctx, details, client);
    const grantId = await grantConsent(options.provider(), details);
    return finish(ctx, { consent: { grantId } });
  }

  async function answer(ctx: Parameters<Middleware>[0], step: string | undefined): Promise<void> {
    try {
      await handle(ctx, step);
    } catch (error) {
      // An expired or foreign interaction (no cookie, wrong uid): the user
      // goes back to the app; nothing else to tell them.
      if (error instanceof errors.SessionNotFound || error instanceof errors.InvalidClient) {
        send(ctx, 400, messagePage('Sign-in expired', 'This sign-in request has expired. Go back to the app and start again.'), []);
        return;
      }
      throw error;
    }
  }

  // Not async: every other request (every token request) passes straight
  // through without a promise of its own.
  return (ctx, next) => {
    if (ctx.path === STYLESHEET_PATH && ctx.method === 'GET') {
      ctx.type = 'text/css';
      ctx.set('Cache-Control', 'public, max-age=3600');
      ctx.body = STYLESHEET;
      return undefined;
    }
    const match = ROUTE.exec(ctx.path);
    return match ? answer(ctx, match[2]) : next();
  };
}
