import { createApiKeyVerifier } from './api-key.js';
import { credentialsFromHeaders, selectCredential } from './credentials.js';
import type { Credentials, HeadersLike } from './credentials.js';
import { createEndpointResolver } from './discovery.js';
import { createExpressMiddleware } from './express.js';
import type { ExpressMiddleware } from './express.js';
import { createKeyResolver } from './jwks.js';
import { createAccessTokenVerifier } from './jwt-access-token.js';
import { createKoaMiddleware } from './koa.js';
import type { KoaMiddleware } from './koa.js';
import { ResourceServerError } from './errors.js';
import { resolveOptions } from './options.js';
import type { VerifierConfig, VerifierOptions } from './options.js';
import type { AccessTokenPrincipal, ApiKeyPrincipal, Principal } from './principal.js';
import type { TokenPresentation } from './token-binding.js';

/** What the middlewares pass on: the headers, and the method and URL for DPoP. */
export interface RequestLike {
  readonly headers: HeadersLike;
  readonly method?: string | undefined;
  readonly url?: string | undefined;
}

/**
 * Verifies the access tokens and API keys of one resource server. Create one
 * per process and share it: it holds the JWKS and API-key caches.
 *
 * @example
 * ```ts
 * app.use(verifier.koa());
 * const principal = await verifier.verify({ authorization: req.headers.authorization });
 * ```
 *
 * @see RFC 9068 section 4, RFC 7662, RFC 6750
 */
export interface Verifier {
  /**
   * Authenticates a request from its raw `Authorization` and `X-API-Key`
   * values, whatever the framework. A DPoP-bound token also needs the
   * `DPoP` header, the method and the URL. Rejects with a `ResourceServerError`.
   */
  verify(credentials: Credentials): Promise<Principal>;
  /**
   * Verifies a JWT access token (the bare token, without `Bearer `). A
   * DPoP-bound token is refused unless `presentation` carries its proof.
   */
  verifyAccessToken(token: string, presentation?: TokenPresentation): Promise<AccessTokenPrincipal>;
  /** Verifies an API key through introspection (with caching). */
  verifyApiKey(apiKey: string): Promise<ApiKeyPrincipal>;
  /** Koa middleware: sets `ctx.state.principal`, or answers 400/401/503. */
  koa(): KoaMiddleware;
  /** Express/Connect middleware: sets `req.principal`, or answers 400/401/503. */
  express(): ExpressMiddleware;
}

/**
 * Creates a {@link Verifier}. Options are validated at once (a bad issuer, a
 * missing audience, `none` or `HS256` in `algorithms` throw a `TypeError`);
 * nothing is fetched until the first request needs it.
 *
 * @example
 * ```ts
 * import { createVerifier, requireScopes } from '@tollgate/resource-server';
 *
 * const verifier = createVerifier({
 *   issuer: 'https://auth.example.com',
 *   audience: 'https://api.acme.test',
 *   introspection: { clientId: 'acme-api', clientSecret: process.env.ACME_API_SECRET! },
 * });
 * app.use(verifier.koa());
 * router.post('/projects', requireScopes('write:projects'), createProject);
 * ```
 *
 * @see RFC 9068 section 4 (validating JWT access tokens), RFC 7662 (API keys), RFC 6750 section 3
 */
export function createVerifier(options: VerifierOptions): Verifier {
  const config = resolveOptions(options);
  const endpoints = createEndpointResolver(config);
  const ofTenant = tenantCheck(config);
  const verifyJwt = createAccessTokenVerifier(config, createKeyResolver(config, endpoints));
  const verifyKey = createApiKeyVerifier(config, endpoints);
  const verifyAccessToken: Verifier['verifyAccessToken'] = async (token, presentation) => ofTenant(await verifyJwt(token, presentation));
  const verifyApiKey: Verifier['verifyApiKey'] = async (apiKey) => ofTenant(await verifyKey(apiKey));

  const verify = async (credentials: Credentials): Promise<Principal> => {
    const credential = selectCredential(credentials, config.realm);
    if (credential.kind === 'api_key') return verifyApiKey(credential.apiKey);
    return verifyAccessToken(credential.token, { scheme: credential.scheme, proof: credentials.dpop, method: credentials.method, url: credentials.url });
  };
  const authenticate = async (request: RequestLike): Promise<Principal> =>
    verify(credentialsFromHeaders(request.headers, config.realm, request));

  return Object.freeze({
    verify,
    verifyAccessToken,
    verifyApiKey,
    koa: () => createKoaMiddleware(authenticate),
    express: () => createExpressMiddleware(authenticate),
  });
}

/** With the `tenant` option, a principal of any other tenant is refused (slug or id, as `requireTenant` compares). */
function tenantCheck(config: VerifierConfig): <P extends Principal>(principal: P) => P {
  const { tenant, realm } = config;
  return (principal) => {
    if (tenant === undefined || principal.tenant === tenant || principal.tenantId === tenant) return principal;
    throw new ResourceServerError('ERR_WRONG_TENANT', 'the credential belongs to another tenant', { realm });
  };
}
