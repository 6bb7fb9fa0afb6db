import { errors } from 'oidc-provider';
import type { ResourceRepository, ResourceServer } from '../../registry/resources.js';
import type { TokenExchangePolicy } from '../../registry/client-proof.js';

/** What an exchange may issue: one audience and the scopes for it. */
export interface ExchangeTarget {
  readonly resource: ResourceServer;
  readonly scope: string;
}

const listOf = (value: unknown): string[] => (value === undefined ? [] : Array.isArray(value) ? value.map(String) : [String(value)]);

/**
 * The client's token-exchange policy applied to one request. The target is
 * the `audience` or `resource` parameter (RFC 8693 §2.1; one value), or the
 * policy's only audience when the request names none; it must be in the
 * policy and registered (`invalid_target` otherwise). Every requested scope
 * must be in the policy and offered by the target (`invalid_scope`
 * otherwise); no scope asked for means all such scopes.
 */
export async function decideExchangeTarget(
  policy: TokenExchangePolicy | null | undefined,
  resources: ResourceRepository,
  params: { audience?: unknown; resource?: unknown; scope?: unknown },
): Promise<ExchangeTarget> {
  if (!policy) throw new errors.UnauthorizedClient('this client may not exchange tokens');
  const named = [...new Set([...listOf(params.audience), ...listOf(params.resource)])];
  if (named.length > 1) throw new errors.InvalidTarget('name one audience (audience or resource) per exchange');
  const audience = named[0] ?? (policy.audiences.length === 1 ? policy.audiences[0] : undefined);
  if (audience === undefined) throw new errors.InvalidTarget('audience is required: this client may exchange for several audiences');
  const resource = policy.audiences.includes(audience) ? await resources.findByAudience(audience) : undefined;
  if (!resource) throw new errors.InvalidTarget('this client may not exchange tokens for that audience');

  const allowed = policy.scopes.filter((scope) => resource.scopes.includes(scope));
  const requested = String(params.scope ?? '').split(' ').filter(Boolean);
  const refused = requested.filter((scope) => !allowed.includes(scope));
  if (refused.length) throw new errors.InvalidScope('requested scope is not allowed for this exchange', refused.join(' '));
  return { resource, scope: (requested.length ? requested : allowed).join(' ') };
}
