/**
 * The slice of oidc-provider's grant helpers the token-exchange grant uses to
 * bind its token to a DPoP proof exactly as the built-in grants do (same
 * proof checks, nonces and replay detection). oidc-provider hands these to
 * its own grants only, and the package has no `exports` map, so they are
 * imported by path; the token-exchange tests fail if a release moves them.
 */
declare module 'oidc-provider/lib/helpers/grants.js' {
  import type { KoaContextWithOIDC, Provider } from 'oidc-provider';

  export interface DpopProof {
    thumbprint: string;
    jti: string;
    iat: number;
  }
  export function validateDpop(provider: Provider, ctx: KoaContextWithOIDC): Promise<DpopProof | undefined>;
  export function checkDpopRequired(provider: Provider, ctx: KoaContextWithOIDC, dPoP: DpopProof | undefined): void;
}

declare module 'oidc-provider/lib/helpers/grant_common.js' {
  import type { ClientCredentials, KoaContextWithOIDC, Provider } from 'oidc-provider';
  import type { DpopProof } from 'oidc-provider/lib/helpers/grants.js';

  export function applyDpopBinding(provider: Provider, ctx: KoaContextWithOIDC, dPoP: DpopProof | undefined, token: ClientCredentials): Promise<void>;
}
