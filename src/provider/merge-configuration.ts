import type { Configuration } from 'oidc-provider';

/**
 * The provider configuration from the parts each feature returns, merged
 * once and in order:
 * - `clientAuthMethods` are joined (in order, without repeats);
 * - `features`, `enabledJWA` and `ttl` take every part's entries, a later
 *   part's entry replacing an earlier one's (the sign-in flow sets its own
 *   lifetimes for what it stores);
 * - every other setting belongs to one part: two parts setting it is a
 *   programming error, refused here rather than silently overridden.
 */
export function mergeConfiguration(parts: readonly Configuration[]): Configuration {
  const merged: Configuration = {};
  for (const part of parts) {
    const { clientAuthMethods, features, enabledJWA, ttl, ...rest } = part;
    const taken = Object.keys(rest).filter((key) => key in merged);
    if (taken.length) throw new Error(`provider configuration: ${taken.join(', ')} set by two features`);
    Object.assign(merged, rest);
    if (clientAuthMethods) merged.clientAuthMethods = [...new Set([...(merged.clientAuthMethods ?? []), ...clientAuthMethods])];
    if (features) merged.features = Object.assign({}, merged.features, features);
    if (enabledJWA) merged.enabledJWA = { ...merged.enabledJWA, ...enabledJWA };
    if (ttl) merged.ttl = { ...merged.ttl, ...ttl };
  }
  return merged;
}
