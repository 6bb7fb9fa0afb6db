import { errors, type Client, type Provider } from 'oidc-provider';
import { markRateLimited, reportLimitStanding, setLimitHeaders } from '../rate-limit/respond.js';
import type { TokenQuotas } from '../rate-limit/token-quotas.js';
import { currentRequest, hookTokenSteps } from './oidc-provider-internals.js';

/**
 * A refusal in oidc-provider's own error type, so its error handler answers
 * 429 `{"error":"rate_limited","error_description":…}` like any OAuth error
 * rather than turning an unknown exception into a 500.
 */
export class TokenQuotaExceeded extends errors.OIDCProviderError {
  constructor(description: string) {
    super(429, 'rate_limited');
    this.error_description = description;
  }
}

const hasQuota = (client: Client | undefined): client is Client => Boolean(client?.clientId && (client.token_quota || client.tenant_token_quota));

/**
 * Runs `step` charged to the client's and tenant's quotas: refused with 429
 * before `step` when over quota, the charge given back when `step` fails.
 * The quotas come from the client metadata (the registry's cached lookup),
 * so this adds no database query.
 */
async function chargedAround<T>(quotas: TokenQuotas, client: Client, step: () => Promise<T>): Promise<T> {
  const decision = await quotas.charge({
    clientId: client.clientId,
    clientQuota: client.token_quota,
    tenantId: client.tenant_id,
    tenantQuota: client.tenant_token_quota,
  });
  // The request the provider is answering (its AsyncLocalStorage), for headers.
  const ctx = currentRequest();
  if (!decision.granted) {
    if (ctx) {
      markRateLimited(ctx, decision.standing.resetSeconds, decision.policy);
      setLimitHeaders(ctx, decision.standing);
    }
    throw new TokenQuotaExceeded(decision.description);
  }
  let value: T;
  try {
    value = await step();
  } catch (error) {
    await decision.release();
    throw error;
  }
  if (ctx && decision.standing) reportLimitStanding(ctx, decision.standing);
  return value;
}

/**
 * Charges every token to its client's and tenant's quotas, once per token
 * request and only after client authentication and the grant's own checks,
 * so failed authentications and refused requests cost no quota.
 *
 * - client_credentials: at `ClientCredentials#save`, the one point its token
 *   is issued (after the scope and resource checks); a token that fails to
 *   save gives its charge back.
 * - authorization_code and refresh_token: at the `consume` of the code or
 *   refresh token, which comes *before* anything is issued. Charging at the
 *   access token's save instead would refuse a refresh after the old refresh
 *   token was already rotated away: the app would never see the new one,
 *   and its retry with the old one would read as reuse and revoke the
 *   grant. Refused here, the refresh token stays valid for a later retry.
 *
 * - token exchange (token-exchange/grant.ts): it issues a ClientCredentials
 *   token, so it is charged at that save too.
 *
 * A new grant type must be charged the same way.
 */
export function enforceTokenQuotas(provider: Provider, quotas: TokenQuotas): void {
  hookTokenSteps(provider, {
    // Most clients have no quota: no charge, and no extra promise on the token path.
    aroundClientCredentialsSave: (token, save) => (hasQuota(token.client) ? chargedAround(quotas, token.client, save) : save()),
    aroundConsume: (_token, consume) => {
      // The client the provider authenticated for this token request.
      const client = currentRequest()?.oidc.client;
      return hasQuota(client) ? chargedAround(quotas, client, consume) : consume();
    },
  });
}
