import { errors, interactionPolicy, type Configuration, type KoaContextWithOIDC, type Provider } from 'oidc-provider';
import type { UserRepository } from '../users/index.js';
import { setPagePolicy } from '../interactions/csp.js';
import { logoutPage, messagePage } from '../interactions/templates.js';
import { currentRequest, hookTokenSteps } from './oidc-provider-internals.js';

export interface RefreshTokenPolicy {
  /** Seconds from sign-in after which no refresh token of the grant is valid, however often rotated. */
  readonly absoluteTtlSeconds: number;
  /** Seconds a refresh token stays valid unused; every rotation starts a new one. */
  readonly idleTtlSeconds: number;
}

export interface AuthorizationCodeOptions {
  readonly users: UserRepository;
  readonly refreshTokens: RefreshTokenPolicy;
}

interface TokenLike {
  iiat?: number | undefined;
}

const epochNow = () => Math.floor(Date.now() / 1000);

/**
 * Seconds a new refresh token lives: the idle timeout, cut short by what is
 * left of the absolute lifetime counted from the first token of the grant
 * (`iiat`, which rotation carries over).
 */
export function refreshTokenTtl(policy: RefreshTokenPolicy, token: TokenLike, now = epochNow()): number {
  const left = policy.absoluteTtlSeconds - (now - (token.iiat ?? now));
  return Math.max(1, Math.min(policy.idleTtlSeconds, left));
}

/**
 * A session of one tenant's user must not sign that user in to another
 * tenant's app: findAccount refuses such an account (see below), and this
 * check then asks for a fresh login instead of carrying on without one.
 */
function loginPolicy() {
  const policy = interactionPolicy.base();
  policy.get('login')!.checks.add(
    new interactionPolicy.Check('account_unusable', 'the signed-in account cannot use this client', (ctx) =>
      Boolean(ctx.oidc.session?.accountId) && !ctx.oidc.account ? interactionPolicy.Check.REQUEST_PROMPT : interactionPolicy.Check.NO_NEED_TO_PROMPT,
    ),
  );
  return policy;
}

/**
 * Everything the authorization-code flow adds to the provider's
 * configuration: accounts from the users table, PKCE for every client,
 * refresh tokens with `offline_access` rotating on every use, the login and
 * consent pages (src/interactions), userinfo and RP-initiated logout, and
 * the lifetimes of what a sign-in stores. Merged into the machine-client
 * configuration in create-provider.ts; a user's token claims are in
 * token-claims.ts, the introspection rule for refresh tokens in
 * token-status.ts.
 */
export function authorizationCodeConfiguration(options: AuthorizationCodeOptions): Configuration {
  const { users, refreshTokens } = options;

  const findAccount: Configuration['findAccount'] = async (ctx, sub) => {
    const tenantId = ctx.oidc.client?.tenant_id;
    // Users of another tenant are not found (the tenant is in the query);
    // disabled users have no account here: their refresh tokens stop
    // working and their sessions must sign in again.
    const user = await users.findById(sub, tenantId === undefined ? undefined : { tenantId });
    if (!user?.enabled) return undefined;
    return {
      accountId: user.id,
      // Read by the token claims: the grant already loaded the account, so its roles need no second query.
      roles: user.roles,
      claims: async () => ({ sub: user.id, email: user.email, email_verified: false, tenant_id: user.tenantId, tenant: user.tenantSlug }),
    };
  };

  return {
    // Public app clients (native, SPA) authenticate with `none`: PKCE is their proof.
    clientAuthMethods: ['none'],
    findAccount,
    claims: { openid: ['sub', 'tenant_id', 'tenant'], email: ['email', 'email_verified'] },
    // OAuth 2.1: PKCE for every client; oidc-provider 9 accepts only S256.
    pkce: { required: () => true },
    // Every authorization request and code exchange names its redirect_uri
    // (OpenID Connect requires it). With omission allowed, oidc-provider's
    // error handler for a resume URL (`/auth/<uid>?client_id=<a client>`)
    // reads parameters it never parsed and answers 500.
    allowOmittingSingleRegisteredRedirectUri: false,
    rotateRefreshToken: true,
    issueRefreshToken: async (_ctx, client, code) => client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}`, policy: loginPolicy() },
    features: {
      userinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          const client = ctx.oidc.client;
          setPagePolicy(ctx, client?.postLogoutRedirectUris ?? []);
          ctx.type = 'html';
          ctx.body = logoutPage(form, client?.clientName);
        },
        postLogoutSuccessSource: async (ctx) => {
          setPagePolicy(ctx, []);
          ctx.type = 'html';
          ctx.body = messagePage('Signed out', 'You are signed out.');
        },
      },
    },
    ttl: {
      AuthorizationCode: 60,
      RefreshToken: (_ctx: KoaContextWithOIDC, token: TokenLike) => refreshTokenTtl(refreshTokens, token),
      // A grant lives as long as its longest possible refresh token.
      Grant: refreshTokens.absoluteTtlSeconds,
      Interaction: 600,
    },
  };
}

/**
 * Makes a lost race on a single-use token count as reuse. oidc-provider
 * reads `consumed` from `find` and only then calls `consume`, so two
 * requests presenting one refresh token (or code) at once both pass its
 * check. The Knex adapter's consume is one conditional UPDATE … WHERE
 * consumed_at IS NULL and rejects the request that changed nothing
 * (adapters/knex-adapter.ts); here that rejection also revokes the grant
 * and every token of it, exactly what the provider does for a sequential
 * reuse, so the winner's fresh tokens die with it. In a refresh request the
 * adapter commits the consume together with the successor's save
 * (adapters/refresh-rotation.ts), so there the race is lost, and rejected,
 * by the new refresh token's `save`.
 */
export function revokeGrantOnLostConsume(provider: Provider): void {
  const revokeOnInvalidGrant = async <T>(grantId: string | undefined, step: () => Promise<T>): Promise<T> => {
    try {
      return await step();
    } catch (error) {
      if (error instanceof errors.InvalidGrant && grantId) {
        await Promise.all([provider.RefreshToken.adapter.revokeByGrantId(grantId), provider.Grant.adapter.destroy(grantId)]);
        const ctx = currentRequest();
        if (ctx) provider.emit('grant.revoked', ctx, grantId);
      }
      throw error;
    }
  };
  hookTokenSteps(provider, {
    aroundConsume: (token, consume) => revokeOnInvalidGrant(token.grantId, consume),
    aroundRefreshTokenSave: (token, save) => revokeOnInvalidGrant(token.grantId, save),
  });
}
