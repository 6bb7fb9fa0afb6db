import type { ResourceRepository } from '../registry/resources.js';
import type { IntrospectionResponse } from './jwt-introspection.js';

const INACTIVE: IntrospectionResponse = Object.freeze({ active: false });

/** The authenticated client asking the introspection endpoint. */
export interface IntrospectionCaller {
  readonly clientId: string;
  readonly tenantId: string;
  /** Audiences it may introspect for (the client's `introspect_audiences`). */
  readonly introspectAudiences: readonly string[];
}

const stringsOf = (value: unknown): string[] =>
  (Array.isArray(value) ? value : [value]).filter((item): item is string => typeof item === 'string');

/**
 * Who may learn what a token or API key is (RFC 7662 §2.1 leaves it to the
 * server; issue 16.9). An active answer is shown to:
 *
 * - the client the token was issued to (it holds the token already);
 * - a client allowed to introspect for one of the token's audiences
 *   (`introspect_audiences`, set per client) when the token is of the
 *   caller's own tenant, or when the caller's tenant owns that resource
 *   server (a resource server shared with other tenants serves their tokens).
 *
 * Everyone else gets `{"active": false}` (§2.2), exactly as for a token that
 * does not exist, so the answer tells nothing about other tenants' tokens.
 */
export function createIntrospectionPolicy(resources: ResourceRepository) {
  return async function visibleTo(caller: IntrospectionCaller, answer: IntrospectionResponse): Promise<IntrospectionResponse> {
    if (!answer.active) return answer;
    if (answer['client_id'] === caller.clientId) return answer;
    const tokenTenant = answer['tenant_id'];
    for (const audience of stringsOf(answer['aud'])) {
      if (!caller.introspectAudiences.includes(audience)) continue;
      if (tokenTenant === caller.tenantId) return answer;
      if ((await resources.findByAudience(audience))?.tenantId === caller.tenantId) return answer;
    }
    return INACTIVE;
  };
}

export type IntrospectionPolicy = ReturnType<typeof createIntrospectionPolicy>;

/** The caller as the provider's client model carries it (Tollgate's metadata keeps its names). */
export function introspectionCallerOf(client: { clientId?: string; tenant_id?: unknown; introspect_audiences?: unknown }): IntrospectionCaller | undefined {
  if (typeof client.clientId !== 'string' || typeof client.tenant_id !== 'string') return undefined;
  return { clientId: client.clientId, tenantId: client.tenant_id, introspectAudiences: stringsOf(client.introspect_audiences ?? []) };
}
