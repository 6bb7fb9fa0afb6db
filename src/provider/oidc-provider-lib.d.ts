/**
 * The files of oidc-provider's `lib/` that oidc-provider-internals.ts
 * imports by path (the package has no `exports` map), typed as far as
 * Tollgate uses them. Only that module may import them; it checks at
 * start-up that each export is still a function.
 */
declare module 'oidc-provider/lib/helpers/weak_cache.js' {
  /** The per-instance state oidc-provider keeps out of sight (router, grant handlers, configuration). */
  export default function instance(provider: object): unknown;
}

declare module 'oidc-provider/lib/helpers/grants.js' {
  import type { KoaContextWithOIDC, Provider } from 'oidc-provider';

  export interface DpopProof {
    thumbprint: string;
    jti: string;
    iat: number;
  }
  export function validateDpop(provider: Provider, ctx: KoaContextWithOIDC): Promise<DpopProof | undefined>;
}

declare module 'oidc-provider/lib/helpers/grant_common.js' {
  import type { ClientCredentials, KoaContextWithOIDC, Provider } from 'oidc-provider';
  import type { DpopProof } from 'oidc-provider/lib/helpers/grants.js';

  export function applyDpopBinding(provider: Provider, ctx: KoaContextWithOIDC, dPoP: DpopProof | undefined, token: ClientCredentials): Promise<void>;
}
