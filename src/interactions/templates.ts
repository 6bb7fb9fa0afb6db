import { STYLESHEET_PATH } from './csp.js';

/** Escapes text for HTML content and double-quoted attributes. */
export function html(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${html(title)}</title>
<link rel="stylesheet" href="${STYLESHEET_PATH}">
</head>
<body>
<main class="card">
${body}
</main>
</body>
</html>
`;
}

const errorNotice = (message: string | undefined) =>
  message ? `<p class="error" role="alert" id="form-error">${html(message)}</p>\n` : '';

export interface LoginPageInput {
  readonly action: string;
  readonly csrf: string;
  readonly clientName: string;
  readonly email?: string;
  readonly error?: string;
}

export function loginPage(input: LoginPageInput): string {
  const described = input.error ? ' aria-describedby="form-error" aria-invalid="true"' : '';
  return page(
    `Sign in to ${input.clientName}`,
    `<h1>Sign in</h1>
<p class="lead">to continue to <strong>${html(input.clientName)}</strong></p>
${errorNotice(input.error)}<form method="post" action="${html(input.action)}">
<input type="hidden" name="csrf" value="${html(input.csrf)}">
<label for="email">Email address</label>
<input id="email" name="email" type="email" autocomplete="username" required autofocus value="${html(input.email)}"${described}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required${described}>
<button type="submit">Sign in</button>
</form>`,
  );
}

export interface ConsentPageInput {
  readonly action: string;
  readonly abortAction: string;
  readonly csrf: string;
  readonly clientName: string;
  readonly email: string;
  /** What the client asks for, in words. */
  readonly requests: readonly string[];
}

export function consentPage(input: ConsentPageInput): string {
  const items = input.requests.map((request) => `<li>${html(request)}</li>`).join('\n');
  return page(
    `Allow ${input.clientName}?`,
    `<h1>Allow access</h1>
<p class="lead"><strong>${html(input.clientName)}</strong> asks to:</p>
<ul>
${items}
</ul>
<p class="who">Signed in as ${html(input.email)}</p>
<form method="post" action="${html(input.action)}">
<input type="hidden" name="csrf" value="${html(input.csrf)}">
<button type="submit">Allow</button>
</form>
<form method="post" action="${html(input.abortAction)}">
<input type="hidden" name="csrf" value="${html(input.csrf)}">
<button type="submit" class="secondary">Cancel</button>
</form>`,
  );
}

/** `form` is oidc-provider's own logout form (with its xsrf field); the buttons submit it. */
export function logoutPage(form: string, clientName: string | undefined): string {
  return page(
    'Sign out',
    `<h1>Sign out?</h1>
<p class="lead">${clientName ? `You asked to sign out of <strong>${html(clientName)}</strong>.` : 'You asked to sign out.'}</p>
${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes">Yes, sign me out</button>
<button type="submit" form="op.logoutForm" class="secondary">No, stay signed in</button>`,
  );
}

export interface SignOutContinueInput {
  /** oidc-provider's logout confirmation endpoint. */
  readonly action: string;
  /** The session's logout xsrf secret. */
  readonly xsrf: string;
  readonly clientName: string | undefined;
}

/**
 * Where oidc-provider would submit a logout form by script (nobody signed
 * in, or another account signing in): the same form, submitted by a button.
 */
export function signOutContinuePage(input: SignOutContinueInput): string {
  return page(
    'Sign out',
    `<h1>Sign out</h1>
<p class="lead">${input.clientName ? `Continue to finish signing out of <strong>${html(input.clientName)}</strong>.` : 'Continue to finish signing out.'}</p>
<form method="post" action="${html(input.action)}">
<input type="hidden" name="xsrf" value="${html(input.xsrf)}">
<input type="hidden" name="logout" value="yes">
<button type="submit">Continue</button>
</form>`,
  );
}

export function messagePage(title: string, message: string): string {
  return page(title, `<h1>${html(title)}</h1>\n<p class="lead">${html(message)}</p>`);
}

export interface ErrorPageInput {
  readonly title: string;
  /** What happened and what to do, in words. */
  readonly message: string;
  /** The OAuth error code, for whoever the person reports it to. */
  readonly code: string;
  readonly description?: string;
}

export function errorPage(input: ErrorPageInput): string {
  return page(
    input.title,
    `<h1>${html(input.title)}</h1>
<p class="lead">${html(input.message)}</p>
<dl class="details">
<dt>Error</dt>
<dd><code>${html(input.code)}</code></dd>
${input.description ? `<dt>Details</dt>\n<dd>${html(input.description)}</dd>\n` : ''}</dl>`,
  );
}

/** The one stylesheet (served from STYLESHEET_PATH, so the policy needs no 'unsafe-inline'). */
export const STYLESHEET = `*{box-sizing:border-box}
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;background:#f3f4f6;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#111827}
.card{width:100%;max-width:24rem;margin:1rem;padding:2rem;background:#fff;border-radius:.75rem;box-shadow:0 1px 3px rgba(0,0,0,.12)}
h1{margin:0 0 .25rem;font-size:1.5rem}
.lead{margin:0 0 1.5rem;color:#4b5563}
label{display:block;margin:1rem 0 .25rem;font-weight:600}
input[type=email],input[type=password]{width:100%;padding:.625rem .75rem;border:1px solid #6b7280;border-radius:.375rem;font:inherit}
input:focus,button:focus{outline:3px solid #2563eb;outline-offset:2px}
button{display:block;width:100%;margin-top:1.5rem;padding:.625rem;border:0;border-radius:.375rem;background:#1d4ed8;color:#fff;font:inherit;font-weight:600;cursor:pointer}
button.secondary{margin-top:.75rem;background:#fff;color:#1f2937;border:1px solid #6b7280}
.error{padding:.75rem;border-radius:.375rem;background:#fef2f2;color:#991b1b;border:1px solid #fca5a5}
.who{color:#4b5563;font-size:.875rem}
ul{padding-left:1.25rem}
.details{margin:0;padding:.75rem 1rem;border-radius:.375rem;background:#f9fafb;border:1px solid #e5e7eb;font-size:.875rem;color:#374151}
.details dt{font-weight:600;color:#111827}
.details dd{margin:0 0 .5rem;overflow-wrap:anywhere}
.details dd:last-child{margin-bottom:0}
code{font:.875rem ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
`;
