import type Provider from 'oidc-provider';

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

const SCOPE_WORDS: Readonly<Record<string, string>> = {
  openid: 'Know who you are',
  email: 'See your email address',
  offline_access: 'Stay signed in (keep access while you are away)',
};

/** The consent prompt's missing scopes, in words a person understands. */
export function describeScopes(details: Details): string[] {
  const prompt = details.prompt.details as { missingOIDCScope?: string[]; missingResourceScopes?: Record<string, string[]> };
  const words = (prompt.missingOIDCScope ?? []).map((scope) => SCOPE_WORDS[scope] ?? `Use ${scope}`);
  for (const [resource, scopes] of Object.entries(prompt.missingResourceScopes ?? {})) {
    words.push(`${scopes.join(', ')} at ${resource}`);
  }
  return words.length ? words : ['Know who you are'];
}

/**
 * Grants what the consent prompt found missing (oidc-provider's own
 * pattern): the existing grant of this session and client, or a new one.
 */
export async function grantConsent(provider: Provider, details: Details): Promise<string> {
  const accountId = String(details.session?.accountId);
  const clientId = String(details.params['client_id']);
  const grant = (details.grantId ? await provider.Grant.find(details.grantId) : undefined) ?? new provider.Grant({ accountId, clientId });
  const prompt = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
  if (prompt.missingOIDCScope) grant.addOIDCScope(prompt.missingOIDCScope.join(' '));
  if (prompt.missingOIDCClaims) grant.addOIDCClaims(prompt.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(prompt.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
  return grant.save();
}
