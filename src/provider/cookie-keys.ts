import { hkdfSync } from 'node:crypto';
import type { Config } from '../config.js';

/**
 * The keys that sign oidc-provider's cookies (session, interaction). The
 * host Koa app needs them too: the provider sets its cookies through the
 * host's `ctx.cookies`, which signs only when the host app has keys, while
 * `interactionDetails` reads them through the provider's own context, which
 * insists on a signature.
 */
export function cookieKeys(config: Pick<Config, 'secrets'>): string[] {
  return [Buffer.from(hkdfSync('sha256', config.secrets[0]!, '', 'tollgate/cookies/v1', 32)).toString('base64url')];
}
