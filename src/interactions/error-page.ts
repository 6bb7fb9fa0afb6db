import { setPagePolicy, type HeaderSetter } from './csp.js';
import { errorPage } from './templates.js';

/** What oidc-provider hands to `renderError`: its serialized error (err_out.js). */
export interface ProviderErrorOut {
  readonly error?: unknown;
  readonly error_description?: unknown;
}

/** What the page needs of a Koa context: the status oidc-provider set, and the response to fill. */
export interface ErrorResponse extends HeaderSetter {
  readonly status: number;
  type: string;
  body: unknown;
}

interface Explanation {
  readonly title: string;
  readonly message: string;
}

const GO_BACK = 'Go back to the app and try again; if this keeps happening, tell the people who run it.';

/** The codes a person can meet at the authorization and logout endpoints, in words. */
const EXPLANATIONS: Record<string, Explanation> = {
  invalid_client: { title: 'Unknown app', message: 'The app that sent you here is not registered with this sign-in service, or has been disabled. Tell the people who run the app.' },
  invalid_redirect_uri: { title: 'Unknown return address', message: 'The app asked to send you back to an address it has not registered, so sign-in stopped here to protect you. Tell the people who run the app.' },
  invalid_request: { title: 'Incomplete sign-in request', message: `The app sent a sign-in request that is missing something or is malformed. ${GO_BACK}` },
  invalid_request_object: { title: 'Incomplete sign-in request', message: `The app sent a sign-in request that could not be read. ${GO_BACK}` },
  unauthorized_client: { title: 'App not allowed', message: 'This app is not allowed to ask for sign-in this way. Tell the people who run the app.' },
  unsupported_response_type: { title: 'App not allowed', message: 'This app asked for a kind of sign-in this service does not offer. Tell the people who run the app.' },
  invalid_scope: { title: 'Access not available', message: 'The app asked for access that it may not have. Tell the people who run the app.' },
  invalid_target: { title: 'Access not available', message: 'The app asked for access to a service it may not use. Tell the people who run the app.' },
  access_denied: { title: 'Access denied', message: `Sign-in did not complete. ${GO_BACK}` },
  login_required: { title: 'Sign-in required', message: `You need to sign in again. ${GO_BACK}` },
  consent_required: { title: 'Permission required', message: `The app needs your permission again. ${GO_BACK}` },
  interaction_required: { title: 'Sign-in required', message: `You need to sign in again. ${GO_BACK}` },
  session_not_found: { title: 'Sign-in expired', message: 'This sign-in request has expired. Go back to the app and start again.' },
  temporarily_unavailable: { title: 'Try again shortly', message: 'The sign-in service is busy or briefly unavailable. Wait a moment, then go back to the app and try again.' },
  server_error: { title: 'Something went wrong', message: 'The sign-in service could not finish your request. Wait a moment, then go back to the app and try again.' },
};

const FALLBACK: Explanation = { title: 'Sign-in stopped', message: `The request could not be completed. ${GO_BACK}` };

/** An OAuth error code is `1*( %x20-21 / %x23-5B / %x5D-7E )` (RFC 6749 §5.2); anything else is not shown. */
const ERROR_CODE = /^[\x20\x21\x23-\x5b\x5d-\x7e]{1,64}$/;

/**
 * oidc-provider's `renderError` for people in a browser: a page in the
 * sign-in style with the OAuth error code and what it means, under the
 * pages' strict policy. The description is oidc-provider's exposed text
 * ("missing required parameter 'redirect_uri'"); for a server error it is
 * left out, so no internal detail reaches the page (err_out.js already
 * replaces an unexposed error with server_error).
 */
export function renderErrorPage(ctx: ErrorResponse, out: ProviderErrorOut): void {
  const code = typeof out.error === 'string' && ERROR_CODE.test(out.error) ? out.error : 'server_error';
  const explanation = EXPLANATIONS[code] ?? FALLBACK;
  const description = code !== 'server_error' && ctx.status < 500 && typeof out.error_description === 'string' ? out.error_description : undefined;
  setPagePolicy(ctx, []);
  ctx.type = 'text/html; charset=utf-8';
  ctx.body = errorPage({ ...explanation, code, ...(description === undefined ? {} : { description }) });
}
