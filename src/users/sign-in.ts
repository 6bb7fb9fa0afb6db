import type { FailureCounter } from '../rate-limit/failure-counter.js';
import { verifyPassword } from './password.js';
import { normaliseEmail, type User, type UserRepository } from './repository.js';

export type SignInOutcome =
  | { readonly ok: true; readonly user: User }
  /** One answer for unknown email, wrong password and disabled user: no account enumeration. */
  | { readonly ok: false; readonly reason: 'invalid_credentials' }
  | { readonly ok: false; readonly reason: 'throttled'; readonly retryAfterSeconds: number }
  /** The failure counters cannot be reached and TOLLGATE_RATE_LIMIT_REDIS_DOWN=closed: refused unchecked, as token requests are. */
  | { readonly ok: false; readonly reason: 'unavailable'; readonly retryAfterSeconds: number };

export interface SignInAttempt {
  readonly tenantId: string;
  readonly email: string;
  readonly password: string;
  readonly ip: string;
}

/**
 * Password sign-in for one tenant's users. Failures are counted per account
 * (tenant + email, whether or not it exists) and per address by the same
 * kind of counter that guards client authentication
 * (rate-limit/failure-counter.ts, Redis first). Each attempt is reserved as
 * a failure before argon2 runs, atomically on both counters, and given back
 * only when it succeeds: checking first and counting after would let a
 * parallel burst through between the two. An account or address at its
 * limit is refused before argon2. Every refusal that reaches argon2 pays a
 * full verification, an unknown email included (see `verifyPassword`).
 */
export class SignIn {
  constructor(
    private readonly users: UserRepository,
    private readonly failures: FailureCounter | undefined,
  ) {}

  async attempt({ tenantId, email, password, ip }: SignInAttempt): Promise<SignInOutcome> {
    // The account key names the tenant, so one address in two tenants is two accounts.
    const counted = { clientId: `${tenantId}/${normaliseEmail(email)}`, ip };
    const verdict = await this.failures?.reserve(counted);
    if (verdict?.limited) return { ok: false, reason: 'throttled', retryAfterSeconds: verdict.retryAfterSeconds };
    if (verdict?.unavailable) return { ok: false, reason: 'unavailable', retryAfterSeconds: 1 };
    const user = await this.users.findByEmail(tenantId, email);
    const valid = await verifyPassword(user?.passwordHash, password);
    if (!valid || !user?.enabled) return { ok: false, reason: 'invalid_credentials' };
    await this.failures?.giveBack(counted);
    return { ok: true, user };
  }
}
