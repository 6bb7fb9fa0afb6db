/**
 * `@tollgate/resource-server`: verify Tollgate access tokens (RFC 9068 JWTs,
 * through the issuer's JWKS) and API keys (through RFC 7662 introspection)
 * in any Node service.
 *
 * @packageDocumentation
 */
export { createVerifier } from './verifier.js';
export type { RequestLike, Verifier } from './verifier.js';
export { DEFAULT_DPOP_ALGORITHMS, MemoryDpopReplayCache, verifyDpopProof } from './dpop.js';
export type { DpopConfig, DpopPresentation, DpopReplayCache } from './dpop.js';
export type { DpopOptions } from './dpop-options.js';
export type { TokenPresentation } from './token-binding.js';
export { DEFAULT_ALGORITHMS, type JwsAlgorithm } from './algorithms.js';
export type { IntrospectionOptions, JwksOptions, VerifierOptions } from './options.js';
export type { Credentials, HeadersLike } from './credentials.js';
export type { AccessTokenClaims, AccessTokenPrincipal, ApiKeyClaims, ApiKeyPrincipal, Principal } from './principal.js';
export { assertScopes, requireRoles, requireScopes, requireTenant } from './guards.js';
export type { ScopeGuard, TenantRequest } from './guards.js';
export { ResourceServerError } from './errors.js';
export type { OAuthErrorValue, ResourceServerErrorCode } from './errors.js';
export type { KoaContextLike, KoaMiddleware, KoaNext } from './koa.js';
export type { ExpressMiddleware, ExpressNext, ExpressRequestLike, ExpressResponseLike } from './express.js';
