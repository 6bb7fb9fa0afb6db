import type { OIDCContext } from 'oidc-provider';
import type { RefusalReason } from '../provider/ip-allowlist.js';
import type { RateLimitPolicy } from '../rate-limit/respond.js';

/**
 * What one part of Tollgate leaves on a request for another, each named and
 * typed once here instead of strings keyed into `ctx.state` across modules.
 */
declare module 'koa' {
  interface DefaultState {
    /** The cause behind a provider `server_error` (provider-host.ts): app.ts logs it, or answers 503 for an outage. */
    serverError?: unknown;
    /** Why a client authentication was refused when Tollgate knows more than the error code (ip-allowlist.ts); for the audit log, never sent. */
    refusalReason?: RefusalReason;
    /** Which limit answered 429 (rate-limit/respond.ts); a metrics label. */
    rateLimitPolicy?: RateLimitPolicy;
  }

  interface DefaultContext {
    /** oidc-provider's per-request context, set once a request reached the provider. */
    oidc?: OIDCContext;
  }
}
