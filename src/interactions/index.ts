import type Provider from 'oidc-provider';
import type { FailureCounter } from '../rate-limit/failure-counter.js';
import type { TrustProxy } from '../http/client-ip.js';
import type { OwnRoutes } from '../http/own-routes.js';
import { SignIn, type UserRepository } from '../users/index.js';
import { CsrfTokens } from './csrf.js';
import { interactionRoutes } from './routes.js';

/** The sign-in pages, wired: users, the login throttle, CSRF keyed from TOLLGATE_SECRET. */
export function createInteractions(options: {
  provider: () => Provider;
  users: UserRepository;
  loginFailures: FailureCounter | undefined;
  secret: string;
  trustProxy: TrustProxy;
}): OwnRoutes {
  return interactionRoutes({
    provider: options.provider,
    users: options.users,
    signIn: new SignIn(options.users, options.loginFailures),
    csrf: new CsrfTokens(options.secret),
    trustProxy: options.trustProxy,
  });
}
