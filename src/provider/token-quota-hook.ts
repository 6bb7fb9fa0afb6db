import Provider, { errors } from 'oidc-provider';
import { markRateLimited, reportLimitStanding, setLimitHeaders } from '../rate-limit/respond.js';
import type { TokenQuotas } from '../rate-limit/token-quotas.js';
import type { TollgateClientMetadata } from './registry-client-adapter.js';

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

/**
 * Charges every client_credentials token to its client's and tenant's
 * quotas at the one point a token is issued: `ClientCredentials#save`, which
 * the grant handler calls after client authentication and after the scope
 * and resource checks. So failed authentications and refused requests cost
 * no quota, and a token that fails to save gives its charge back. The
 * quotas come from the client metadata (the registry's cached lookup), so
 * this adds no database query.
 *
 * Token exchange (token-exchange/grant.ts) issues a ClientCredentials token
 * too, so it is charged here as well; a new grant type issuing another token
 * kind must be charged the same way.
 */
export function enforceTokenQuotas(provider: Provider, quotas: TokenQuotas): void {
  const prototype = provider.ClientCredentials.prototype;
  const save = prototype.save;
  prototype.save = async function saveWithinQuota(this: InstanceType<Provider['ClientCredentials']>) {
    // Standard metadata is camelCased on the model (`clientId`); Tollgate's extras keep their names.
    const client = this.client as unknown as (Partial<TollgateClientMetadata> & { clientId?: string }) | undefined;
    if (!client?.clientId) return save.call(this);
    const decision = await quotas.charge({
      clientId: client.clientId,
      clientQuota: client.token_quota,
      tenantId: client.tenant_id,
      tenantQuota: client.tenant_token_quota,
    });
    // The request the provider is answering (its AsyncLocalStorage), for headers.
    const ctx = Provider.ctx;
    if (!decision.granted) {
      if (ctx) {
        markRateLimited(ctx, decision.standing.resetSeconds, decision.policy);
        setLimitHeaders(ctx, decision.standing);
      }
      throw new TokenQuotaExceeded(decision.description);
    }
    let value: string;
    try {
      value = await save.call(this);
    } catch (error) {
      await decision.release();
      throw error;
    }
    if (ctx && decision.standing) reportLimitStanding(ctx, decision.standing);
    return value;
  };
}
