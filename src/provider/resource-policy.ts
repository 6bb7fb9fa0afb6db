import { errors, type AsymmetricSigningAlgorithm, type KoaContextWithOIDC, type Client as ProviderClient, type ResourceServer } from 'oidc-provider';
import { mayUseResource, type ResourceRepository } from '../registry/resources.js';

/** Scopes oidc-provider itself owns; they never belong to a resource server. */
export const PROVIDER_SCOPES = ['openid', 'offline_access', 'email'] as const;

export interface SigningChoice {
  readonly kid: string;
  readonly alg: AsymmetricSigningAlgorithm;
}

/**
 * RFC 8707: a client with exactly one resource server may omit `resource`;
 * any other client must name one (`invalid_target`), so no token is issued
 * without an audience.
 */
export async function defaultResource(
  ctx: KoaContextWithOIDC,
  client: ProviderClient,
  oneOf?: readonly string[],
): Promise<string | readonly string[] | undefined> {
  if (oneOf) return oneOf;
  const { allowed_resources: resources = [] } = client;
  // A user's token without `resource` is for userinfo only (opaque): an app
  // names the API it wants, as RFC 8707 intends.
  if (resources.length === 1 && !client.grantTypeAllowed('authorization_code')) return resources[0];
  if (ctx.oidc.params?.['grant_type'] === 'client_credentials') {
    throw new errors.InvalidTarget(
      resources.length ? 'resource is required: this client may request tokens for several resource servers' : 'this client has no resource servers',
    );
  }
  return undefined;
}

/**
 * The one place that decides what a token for `audience` may carry: the
 * audience must be a registered resource server the client is allowed and
 * its tenant may use (its own, or shared with it: a share withdrawn later
 * stops new tokens at once), and
 * every requested scope must be offered by that server and granted to the
 * client. oidc-provider silently drops scopes it does not know; Tollgate
 * answers `invalid_scope` instead, so a client never gets a token that is
 * quietly narrower than what it asked for.
 */
export function createResourceServerInfo(
  resources: ResourceRepository,
  options: { defaultAccessTokenTtl: number; signing: () => SigningChoice },
) {
  return async function getResourceServerInfo(
    ctx: KoaContextWithOIDC,
    audience: string,
    client: ProviderClient,
  ): Promise<ResourceServer> {
    const { allowed_resources: allowedResources = [], allowed_scopes: allowedScopes = [], tenant_id: tenantId } = client;
    const resource = allowedResources.includes(audience) ? await resources.findByAudience(audience) : undefined;
    if (!resource || !mayUseResource(resource, tenantId)) throw new errors.InvalidTarget('resource is unknown or not allowed for this client');

    const clientScopes = new Set(allowedScopes);
    const grantable = resource.scopes.filter((scope) => clientScopes.has(scope));
    const requested = String(ctx.oidc.params?.['scope'] ?? '').split(' ').filter(Boolean);
    const providerScopes = new Set<string>(PROVIDER_SCOPES);
    const refused = requested.filter((scope) => !grantable.includes(scope) && !providerScopes.has(scope));
    if (refused.length) throw new errors.InvalidScope('requested scope is not allowed', refused.join(' '));

    const { kid, alg } = options.signing();
    return {
      audience: resource.audience,
      scope: grantable.join(' '),
      accessTokenTTL: resource.accessTokenTtl ?? options.defaultAccessTokenTtl,
      accessTokenFormat: resource.tokenFormat,
      jwt: { sign: { alg, kid } },
    };
  };
}
