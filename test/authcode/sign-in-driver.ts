import { createHash, randomBytes } from 'node:crypto';
import type { TestServer } from '../helpers/server.js';
import { csrfOf, EMAIL, PASSWORD } from './fixture.js';

/** One response of a sign-in, as a browser saw it. */
export interface PageVisit {
  readonly url: string;
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
}

/**
 * Drives the sign-in pages over plain HTTP to the test server, whatever the
 * issuer says (an https issuer's redirects are followed on the server's own
 * address), sending `headers` on every request as a proxy in front would.
 * Keeps cookies like a browser and records every response.
 */
export class SignInDriver {
  readonly visits: PageVisit[] = [];
  readonly #cookies = new Map<string, string>();

  constructor(
    private readonly server: Pick<TestServer, 'url' | 'issuer'>,
    private readonly headers: Record<string, string> = {},
  ) {}

  /** Every Set-Cookie line received so far. */
  get setCookies(): string[] {
    return this.visits.flatMap((visit) => visit.headers.getSetCookie());
  }

  async request(pathOrUrl: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<PageVisit> {
    const url = new URL(pathOrUrl.replace(this.server.issuer, ''), this.server.url).href;
    const cookie = [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(url, {
      method: init.method ?? (init.form ? 'POST' : 'GET'),
      redirect: 'manual',
      headers: { ...this.headers, ...(cookie ? { cookie } : {}), ...(init.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      ...(init.form ? { body: new URLSearchParams(init.form).toString() } : {}),
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const index = pair.indexOf('=');
      const value = pair.slice(index + 1);
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) this.#cookies.delete(pair.slice(0, index));
      else this.#cookies.set(pair.slice(0, index), value);
    }
    const visit = { url, status: response.status, headers: response.headers, body: await response.text() };
    this.visits.push(visit);
    return visit;
  }

  /** Follows redirects while they stay on the issuer; returns the last response (a page, or a redirect elsewhere). */
  async follow(pathOrUrl: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<PageVisit> {
    let visit = await this.request(pathOrUrl, init);
    while (visit.status >= 300 && visit.status < 400) {
      const location = new URL(visit.headers.get('location')!, this.server.issuer).href;
      if (!location.startsWith(this.server.issuer)) return visit;
      visit = await this.request(location);
    }
    return visit;
  }

  /** `/auth` for `clientId`, then the login page with `email` (the test user): the page after login (consent, with a session). */
  async signIn(clientId: string, redirectUri: string, email = EMAIL): Promise<PageVisit> {
    const verifier = randomBytes(32).toString('base64url');
    const query = new URLSearchParams({
      client_id: clientId,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: 'openid email',
      prompt: 'login consent',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      state: randomBytes(8).toString('hex'),
    });
    const login = await this.follow(`/auth?${query}`);
    if (!/name="password"/.test(login.body)) throw new Error(`expected the login page, got ${login.status} ${login.body.slice(0, 200)}`);
    return this.follow(`${login.url}/login`, { form: { csrf: csrfOf(login.body), email, password: PASSWORD } });
  }
}
