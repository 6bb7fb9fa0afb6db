import { Counter, type Registry } from 'prom-client';
import type { EndpointOutcome, EndpointOutcomeListener } from '../provider/endpoint-outcome.js';
import { boundedLabel } from './bounded-label.js';

/**
 * Refusal codes that get a `reason` label of their own (RFC 6749 §5.2,
 * RFC 7009, RFC 7662, RFC 8707, oidc-provider's own). The provider writes
 * the code, but it is still folded to `other` beyond this list so no future
 * code path can turn request input into a label.
 */
const KNOWN_ERRORS: ReadonlySet<string> = new Set([
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'invalid_target',
  'invalid_token',
  'unsupported_token_type',
  'temporarily_unavailable',
  'server_error',
]);

const reasonLabel = (error: string | undefined): string => (error === undefined ? 'unknown' : KNOWN_ERRORS.has(error) ? error : 'other');

const outcomeLabel = (outcome: EndpointOutcome): string =>
  outcome.succeeded ? 'success' : outcome.status >= 500 ? 'server_error' : 'refused';

/**
 * A client-authentication failure is a 4xx answered before any client
 * authenticated: the provider checks the client before the grant, so a
 * refusal after that point carries the client's tenant and is not one.
 */
const isClientAuthFailure = (outcome: EndpointOutcome): boolean =>
  outcome.status >= 400 && outcome.status < 500 && outcome.tenantId === undefined;

export interface OutcomeCounterOptions {
  readonly registry: Registry;
  /** Distinct client (and tenant) ids labelled as themselves before `other`. */
  readonly maxClientLabels: number;
}

/** Counters fed by what token, introspection and revocation requests came to. */
export function createOutcomeCounters({ registry, maxClientLabels }: OutcomeCounterOptions): EndpointOutcomeListener {
  const tokensIssued = new Counter({
    name: 'tollgate_tokens_issued_total',
    help: 'Access tokens issued by the token endpoint',
    labelNames: ['client_id', 'tenant_id', 'grant_type'] as const,
    registers: [registry],
  });
  // No client_id here: a failed authentication names whatever id the caller
  // sent, so labelling by it would let anyone mint time series.
  const authFailures = new Counter({
    name: 'tollgate_client_auth_failures_total',
    help: 'Requests refused before the client authenticated, by OAuth error code',
    labelNames: ['endpoint', 'reason'] as const,
    registers: [registry],
  });
  const requests = new Counter({
    name: 'tollgate_token_requests_total',
    help: 'Token, introspection and revocation requests by outcome (success, refused, server_error)',
    labelNames: ['endpoint', 'outcome'] as const,
    registers: [registry],
  });
  const clientLabel = boundedLabel(maxClientLabels);
  const tenantLabel = boundedLabel(maxClientLabels);

  return (outcome) => {
    requests.inc({ endpoint: outcome.endpoint, outcome: outcomeLabel(outcome) });
    if (outcome.succeeded && outcome.endpoint === 'token') {
      // Only an authenticated client gets here, so the ids come from the registry, not the request.
      tokensIssued.inc({
        client_id: clientLabel(outcome.clientId),
        tenant_id: tenantLabel(outcome.tenantId),
        grant_type: outcome.grantType ?? 'unknown',
      });
    } else if (isClientAuthFailure(outcome)) {
      authFailures.inc({ endpoint: outcome.endpoint, reason: reasonLabel(outcome.error) });
    }
  };
}
