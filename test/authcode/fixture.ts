import * as oidc from 'openid-client';
import { UserRepository } from '../../src/users/index.js';
import { API, seedMachineClient, type MachineClient, type TestServer } from '../helpers/server.js';

export const REDIRECT_PATH = '/callback';
export const PASSWORD = 'correct horse battery staple';
export const EMAIL = 'ada@acme.test';

export interface AppFixture {
  readonly machine: MachineClient;
  readonly users: UserRepository;
  readonly userId: string;
  /** A public (native/SPA) client: no secret, PKCE. */
  readonly publicClientId: string;
  /** A confidential (web) client. */
  readonly webClient: { clientId: string; clientSecret: string };
  readonly redirectUri: string;
}

/**
 * Tenant acme with a machine client, a user, a public and a
 * confidential app client whose redirect URI is `redirectOrigin`/callback.
 */
export async function seedApps(server: TestServer, redirectOrigin = 'http://127.0.0.1:9'): Promise<AppFixture> {
  const machine = await seedMachineClient(server);
  const users = new UserRepository(server.database.knex, server.registry.tenants);
  const user = await users.create({ tenant: 'acme', email: EMAIL, password: PASSWORD, roles: ['editor'] });
  const redirectUri = `${redirectOrigin}${REDIRECT_PATH}`;
  const common = { tenant: 'acme', resources: [API], scopes: ['read:projects'], redirect_uris: [redirectUri], post_logout_redirect_uris: [`${redirectOrigin}/signed-out`] };
  const spa = await server.registry.appClients.create({ ...common, name: 'acme-mobile', public: true });
  const web = await server.registry.appClients.create({ ...common, name: 'acme-web' });
  return {
    machine,
    users,
    userId: user.id,
    publicClientId: spa.client.clientId,
    webClient: { clientId: web.client.clientId, clientSecret: web.clientSecret! },
    redirectUri,
  };
}

export function publicClientConfig(server: TestServer, clientId: string): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(server.issuer), clientId, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
}

/** A minimal cookie jar for driving the pages with fetch, as a browser would. */
export class Browser {
  readonly #cookies = new Map<string, string>();
  /** Every cookie value the server ever set in this browser (session and interaction ids among them). */
  readonly cookieValues = new Set<string>();

  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const cookie = [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), ...(cookie ? { cookie } : {}) } });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const index = pair.indexOf('=');
      const name = pair.slice(0, index);
      const value = pair.slice(index + 1);
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) this.#cookies.delete(name);
      else {
        this.#cookies.set(name, value);
        this.cookieValues.add(value);
      }
    }
    return response;
  }

  /** Follows redirects on `origin` until one leaves it (the client's redirect_uri) or a page answers. */
  async follow(url: string, origin: string, init: RequestInit = {}): Promise<{ response: Response; url: string }> {
    let current = url;
    let response = await this.request(current, init);
    while (response.status >= 300 && response.status < 400) {
      const next = new URL(response.headers.get('location')!, current).href;
      if (!next.startsWith(origin)) return { response, url: next };
      current = next;
      response = await this.request(current);
    }
    return { response, url: current };
  }

  postForm(url: string, origin: string, form: Record<string, string>) {
    return this.follow(url, origin, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
  }
}

export const csrfOf = (page: string): string => /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';

/** A sign-in page ready to be submitted: its browser (cookies), form action and CSRF token. */
export interface SignInPage {
  readonly browser: Browser;
  readonly action: string;
  readonly csrf: string;
}

/** Starts an authorization with `config`'s client and opens the sign-in page it leads to. */
export async function openSignInPage(server: TestServer, config: oidc.Configuration, redirectUri: string): Promise<SignInPage> {
  const browser = new Browser();
  const login = await browser.follow((await startAuthorization(config, redirectUri)).url.href, server.issuer);
  if (login.response.status !== 200) throw new Error(`expected the sign-in page, got ${login.response.status} at ${login.url}`);
  return { browser, action: `${login.url}/login`, csrf: csrfOf(await login.response.text()) };
}

/** Submits `page` as a browser behind the server's trusted proxy at address `ip` would (X-Forwarded-For). */
export async function submitSignIn(page: SignInPage, form: { email: string; password: string; ip: string }): Promise<{ status: number; headers: Headers; body: string }> {
  const response = await page.browser.request(page.action, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': form.ip },
    body: new URLSearchParams({ csrf: page.csrf, email: form.email, password: form.password }).toString(),
  });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

export interface AuthorizationStart {
  readonly url: URL;
  readonly verifier: string;
  readonly state: string;
  readonly nonce: string;
}

export async function startAuthorization(config: oidc.Configuration, redirectUri: string, extra: Record<string, string> = {}): Promise<AuthorizationStart> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid email offline_access',
    prompt: 'consent',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  });
  return { url, verifier, state, nonce };
}

/**
 * Signs in and consents without a browser engine (the Chromium test drives
 * the same pages for real); returns the URL the provider sent back to the
 * client, carrying the code.
 */
export async function signInAndConsent(
  server: TestServer,
  start: AuthorizationStart,
  credentials = { email: EMAIL, password: PASSWORD },
  browser = new Browser(),
): Promise<URL> {
  const login = await browser.follow(start.url.href, server.issuer);
  const loginPage = await login.response.text();
  const afterLogin = await browser.postForm(new URL('login', `${login.url}/`).href, server.issuer, { csrf: csrfOf(loginPage), ...credentials });
  if (afterLogin.response.status !== 200 || !afterLogin.url.includes('/interaction/')) throw new Error(`expected the consent page, got ${afterLogin.response.status} at ${afterLogin.url}`);
  const consentPage = await afterLogin.response.text();
  const done = await browser.postForm(`${afterLogin.url}/confirm`, server.issuer, { csrf: csrfOf(consentPage) });
  return new URL(done.url);
}


/** RFC 7662 as a machine client: active only for its own tokens and the audiences it may introspect (issue 16.9). */
export async function introspect(server: TestServer, machine: MachineClient, token: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${server.issuer}/token/introspection`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${machine.clientId}:${machine.clientSecret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ token }).toString(),
  });
  return (await response.json()) as Record<string, unknown>;
}

/** RFC 7662 as the app itself: a user's token for userinfo has no audience, so only the client it was issued to may introspect it. */
export async function introspectAsApp(config: oidc.Configuration, token: string): Promise<Record<string, unknown>> {
  return (await oidc.tokenIntrospection(config, token)) as Record<string, unknown>;
}
