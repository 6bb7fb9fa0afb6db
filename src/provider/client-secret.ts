import type { Provider } from 'oidc-provider';
import { noteSecretVerified } from '../rate-limit/proven-credentials.js';
import type { TrustProxy } from '../http/client-ip.js';
import { verifyAgainstDecoy, type VerifiedCredentialCache } from '../registry/credential-cache.js';
import { allowedFromRequest } from './ip-allowlist.js';
import { compareClientSecretsWith, currentRequest } from './oidc-provider-internals.js';

/** Requests in which a presented secret was compared with argon2 and did not match. */
const paidRefusals = new WeakSet<object>();

/**
 * Compares client secrets through the verified-credential cache (the stored
 * `client_secret` is an argon2id hash); the token version is part of the
 * cache identity so `revoke-tokens` also forces a fresh argon2 check. The
 * client's IP allow-list is checked first: from any other address even the
 * right secret is invalid_client (private_key_jwt clients: see
 * private-key-jwt.ts). A verified secret is told to the rate-limit gate
 * (`noteSecretVerified`); a wrong one is remembered as paid for (`equaliseRefusal`).
 */
export function installClientSecretComparison(provider: Provider, options: { credentials: VerifiedCredentialCache; trustProxy: TrustProxy }): void {
  const { credentials, trustProxy } = options;
  compareClientSecretsWith(provider, async (client, presented) => {
    const ctx = currentRequest();
    // oidc-provider asks only for clients of a client_secret_* method, which always have one.
    if (client.clientSecret === undefined || !allowedFromRequest(client.ip_allowlist, ctx, trustProxy)) return false;
    const valid = await credentials.verify(['client', client.clientId, client.token_version], client.clientSecret, presented);
    // Failures are never cached, so a mismatch always paid one argon2 check.
    if (ctx && valid) noteSecretVerified(ctx);
    else if (ctx) paidRefusals.add(ctx);
    return valid;
  });
}

/**
 * Every invalid_client answer takes the time of a wrong secret: a request
 * refused before any secret was compared (an unknown or disabled client id,
 * a client that authenticates another way — private_key_jwt or public —, an
 * address outside the client's allow-list, an expired secret, a bad
 * assertion) pays one argon2 check against a decoy, so response time does
 * not tell which client ids exist or how they authenticate.
 */
export async function equaliseRefusal(ctx: object): Promise<void> {
  if (!paidRefusals.has(ctx)) await verifyAgainstDecoy('');
}
