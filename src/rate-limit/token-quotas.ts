import { LRUCache } from 'lru-cache';
import { parseLimitSpec, type LimitSpec } from './limit-spec.js';
import type { QuotaCounter, QuotaWindow } from './quota-counter.js';
import { DEFAULT_PREFIX, subjects, type LimitStanding, type RateLimitErrorHandler, type RateLimitPolicy } from './respond.js';

/** Who a token would be issued to, and the quotas set on it and on its tenant (`<count>/<unit>`, or none). */
export interface QuotaSubject {
  readonly clientId: string;
  readonly clientQuota: string | null | undefined;
  readonly tenantId: string | undefined;
  readonly tenantQuota: string | null | undefined;
}

export type QuotaDecision =
  | {
      readonly granted: true;
      /** The quota closest to running out after this token, if any was counted. */
      readonly standing: LimitStanding | undefined;
      /** Uncounts the token, for an issuance that failed after all. */
      release(): Promise<void>;
    }
  | {
      readonly granted: false;
      readonly policy: Extract<RateLimitPolicy, 'client_quota' | 'tenant_quota'>;
      readonly standing: LimitStanding;
      /** Safe to show the client. */
      readonly description: string;
    };

/** Charges issued tokens to the quotas of their client and tenant. */
export interface TokenQuotas {
  charge(subject: QuotaSubject): Promise<QuotaDecision>;
}

export interface TokenQuotasOptions {
  readonly counter: QuotaCounter;
  /** Redis key prefix (default `tollgate`). */
  readonly prefix?: string | undefined;
  /** Told about a stored quota that does not parse (that quota is then not applied). */
  readonly onError: RateLimitErrorHandler;
}

interface Charged {
  readonly window: QuotaWindow;
  readonly policy: Extract<RateLimitPolicy, 'client_quota' | 'tenant_quota'>;
  readonly spec: string;
}

const NOTHING_COUNTED: QuotaDecision = Object.freeze({ granted: true, standing: undefined, release: async () => undefined });

/**
 * Token quotas: the client's window is charged first, then the tenant's, on
 * the keys `<prefix>:{client:<id>}:token-quota` and
 * `<prefix>:{tenant:<id>}:token-quota`. A client without quotas costs no
 * counter call at all.
 */
export function createTokenQuotas(options: TokenQuotasOptions): TokenQuotas {
  const { counter, onError } = options;
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  // Quotas are a handful of operator-set specs: parse each once, not per token.
  // Boxed: a spec that does not parse is remembered too (reported once, not per token).
  const parsed = new LRUCache<string, { readonly limit: LimitSpec | undefined }>({ max: 1_000 });
  const limitOf = (spec: string | null | undefined, owner: string): LimitSpec | undefined => {
    if (!spec) return undefined;
    const known = parsed.get(spec);
    if (known) return known.limit;
    let limit: LimitSpec | undefined;
    try {
      limit = parseLimitSpec(spec, `token quota of ${owner}`);
    } catch (error) {
      // The registry validates quotas on write; only a hand-edited row gets here.
      onError(error);
    }
    parsed.set(spec, { limit });
    return limit;
  };

  return {
    async charge({ clientId, clientQuota, tenantId, tenantQuota }) {
      const charged: Charged[] = [];
      const clientLimit = limitOf(clientQuota, `client ${clientId}`);
      if (clientLimit) {
        charged.push({ window: { key: `${prefix}:${subjects.client(clientId)}:token-quota`, limit: clientLimit }, policy: 'client_quota', spec: clientQuota! });
      }
      const tenantLimit = tenantId ? limitOf(tenantQuota, `tenant ${tenantId}`) : undefined;
      if (tenantId && tenantLimit) {
        charged.push({ window: { key: `${prefix}:${subjects.tenant(tenantId)}:token-quota`, limit: tenantLimit }, policy: 'tenant_quota', spec: tenantQuota! });
      }
      if (charged.length === 0) return NOTHING_COUNTED;

      const verdict = await counter.take(charged.map(({ window }) => window));
      if (!verdict.granted) {
        const { policy, spec } = charged[verdict.refusedBy]!;
        const owner = policy === 'client_quota' ? "this client's" : "this client's tenant's";
        return { granted: false, policy, standing: verdict.standing, description: `${owner} token quota (${spec}) is used up, retry later` };
      }
      const standing = verdict.standings
        .filter((entry): entry is LimitStanding => entry !== undefined)
        .reduce<LimitStanding | undefined>((tightest, entry) => (!tightest || entry.remaining < tightest.remaining ? entry : tightest), undefined);
      return { granted: true, standing, release: verdict.release };
    },
  };
}
