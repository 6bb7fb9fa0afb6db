import type { RouterMiddleware } from '@koa/router';
import type { ParameterizedContext } from 'koa';
import { errors, type Client, type default as Provider } from 'oidc-provider';
import { clientIp, type TrustProxy } from '../http/client-ip.js';
import type { OwnRoutes } from '../http/own-routes.js';
import type { SignIn, SignInOutcome, UserRepository } from '../users/index.js';
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

/** What the sign-in form says, and answers, for each refusal. */
const SIGN_IN_REFUSALS: Record<Exclude<SignInOutcome, { ok: true }>['reason'], { status: number; message: string }> = {
  invalid_credentials: { status: 401, message: 'Incorrect email address or password.' },
  throttled: { status: 429, message: 'Too many attempts. Wait a moment, then try again.' },
  unavailable: { status: 503, message: 'Sign-in is unavailable for a moment. Try again shortly.' },
};

/** An interaction id as oidc-provider makes them; any other `:uid` is not a page of ours. */
const UID = /^[A-Za-z0-9_-]{1,64}$/;

type Action = 'login' | 'confirm' | 'abort';
const ACTIONS: readonly Action[] = ['login', 'confirm', 'abort'];

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

type ClientView = Pick<Client, 'clientName' | 'clientId' | 'redirectUris' | 'tenant_id'>;

function send(ctx: ParameterizedContext, status: number, body: string, redirectUris: readonly string[]): void {
  setPagePolicy(ctx, redirectUris);
  ctx.status = status;
  ctx.type = 'html';
  ctx.body = body;
}

/**
 * The login and consent pages of the authorization-code flow, as routes of
 * the host's router (oidc-provider's `interactions.url` points here).
 * GET `/interaction/:uid` renders the page the interaction's prompt asks
 * for; POSTs to its `login`, `confirm` and `abort` check the
 * per-interaction CSRF token, then hand the result back to the provider
 * (`interactionResult`) and redirect to where it resumes.
 */
export function interactionRoutes(options: InteractionRoutesOptions): OwnRoutes {
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

  async function handle(ctx: ParameterizedContext, action: Action | undefined): Promise<void> {
    const { details, client } = await load(ctx);
    if (action === undefined) return showPrompt(ctx, details, client);
    const redirects = client.redirectUris ?? [];
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
        if (outcome.reason !== 'invalid_credentials') ctx.set('Retry-After', String(outcome.retryAfterSeconds));
        const { status, message } = SIGN_IN_REFUSALS[outcome.reason];
        return showPrompt(ctx, details, client, { status, message, email });
      }
      return finish(ctx, { login: { accountId: outcome.user.id, amr: ['pwd'] } });
    }
    // confirm
    if (details.prompt.name !== 'consent') return showPrompt(ctx, details, client);
    const grantId = await grantConsent(options.provider(), details);
    return finish(ctx, { consent: { grantId } });
  }

  async function answer(ctx: ParameterizedContext, step: Action | undefined): Promise<void> {
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

  /** The page of `action` (the prompt itself when undefined), for a well-formed uid; anything else goes on to oidc-provider. */
  const page =
    (action?: Action): RouterMiddleware =>
    (ctx, next) =>
      UID.test(ctx.captures?.[0] ?? '') ? answer(ctx, action) : next();

  return {
    register(router) {
      router.get(STYLESHEET_PATH, (ctx) => {
        ctx.type = 'text/css';
        ctx.set('Cache-Control', 'public, max-age=3600');
        ctx.body = STYLESHEET;
      });
      router.get('/interaction/:uid', page());
      for (const action of ACTIONS) router.post(`/interaction/:uid/${action}`, page(action));
    },
  };
}
