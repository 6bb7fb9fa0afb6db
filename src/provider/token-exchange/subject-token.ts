import { errors, type Provider } from 'oidc-provider';
import type { JwtIntrospector } from '../jwt-introspection.js';
import type { ClientRepository } from '../../registry/clients.js';
import { isClientTokenCurrent } from '../token-status.js';
import { ACCESS_TOKEN_TYPE, JWT_TOKEN_TYPE } from './constants.js';

/** What the exchange needs to know about a valid subject token. */
export interface SubjectToken {
  readonly sub: string;
  readonly tenantId: string;
  readonly roles: unknown;
  /** The subject token's own actor chain, to nest under the new actor. */
  readonly act: Record<string, unknown> | undefined;
  /** Epoch seconds. */
  readonly exp: number;
}

const SUBJECT_TOKEN_TYPES: ReadonlySet<string> = new Set([ACCESS_TOKEN_TYPE, JWT_TOKEN_TYPE]);

const refused = (description: string) => new errors.InvalidRequest(description);

/**
 * Resolves and checks the RFC 8693 subject token: an access token this
 * issuer signed (verified with its keys, the way JWT introspection does) or
 * an opaque access token found in storage; either must be unexpired and
 * still current for its client (enabled, not revoked). Every refusal is
 * `invalid_request`, as RFC 8693 §2.2.2 prescribes for an unusable
 * subject_token; the description never echoes the token.
 */
export async function resolveSubjectToken(
  provider: Provider,
  clients: ClientRepository,
  introspectJwt: JwtIntrospector,
  params: { subject_token?: unknown; subject_token_type?: unknown },
): Promise<SubjectToken> {
  const { subject_token: token, subject_token_type: type } = params;
  if (typeof type !== 'string' || !type) throw refused('subject_token_type is required');
  if (!SUBJECT_TOKEN_TYPES.has(type)) throw refused(`subject_token_type must be ${ACCESS_TOKEN_TYPE} or ${JWT_TOKEN_TYPE}`);
  if (typeof token !== 'string' || !token) throw refused('subject_token is required');

  const subject = token.split('.').length === 3 ? await fromJwt(introspectJwt, token) : await fromOpaque(provider, clients, token);
  if (!subject) throw refused('subject_token is invalid, expired or revoked');
  return subject;
}

async function fromJwt(introspectJwt: JwtIntrospector, token: string): Promise<SubjectToken | undefined> {
  const claims = await introspectJwt(token);
  if (!claims.active || typeof claims['sub'] !== 'string' || typeof claims['tenant_id'] !== 'string' || typeof claims['exp'] !== 'number') {
    return undefined;
  }
  return { sub: claims['sub'], tenantId: claims['tenant_id'], roles: claims['roles'], act: actOf(claims['act']), exp: claims['exp'] };
}

async function fromOpaque(provider: Provider, clients: ClientRepository, token: string): Promise<SubjectToken | undefined> {
  if (token.length > 512) return undefined;
  const found = (await provider.ClientCredentials.find(token)) ?? (await provider.AccessToken.find(token));
  if (!found?.isValid || !found.exp || !found.clientId) return undefined;
  const extra = (found as { extra?: Record<string, unknown> }).extra ?? {};
  if (!(await isClientTokenCurrent(clients, found.clientId, extra['token_version']))) return undefined;
  const tenantId = extra['tenant_id'];
  if (typeof tenantId !== 'string') return undefined;
  const accountId = (found as { accountId?: unknown }).accountId;
  return { sub: typeof accountId === 'string' ? accountId : found.clientId, tenantId, roles: extra['roles'], act: actOf(extra['act']), exp: found.exp };
}

const actOf = (value: unknown) => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined);
