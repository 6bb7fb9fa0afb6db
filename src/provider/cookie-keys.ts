import type { Config } from '../config.js';
import { deriveKey } from '../../keys/derive-key.js';

/**
 * The keys that sign oidc-provider's cookies (session, interaction). The
 * host Koa app needs them too: the provider sets its cookies through the
 * host's `ctx.cookies`, which signs only when the host app has keys, while
 * `interactionDetails` reads them through the provider's own context, which
 * insists on a signature.
 */
export function cookieKeys(config: Pick<Config, 'secrets'>): string[] {
  return [deriveKey(config.secrets[0]!, 'cookies/v1').toString('base64url')];
}
