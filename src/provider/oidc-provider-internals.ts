import Provider, { type Client, type ClientCredentials, type KoaContextWithOIDC } from 'oidc-provider';
import * as grantCommon from 'oidc-provider/lib/helpers/grant_common.js';
import * as grantHelpers from 'oidc-provider/lib/helpers/grants.js';
import instance from 'oidc-provider/lib/helpers/weak_cache.js';
import { StartupError } from '../lifecycle/start-up-errors.js';

/**
 * Every use Tollgate makes of oidc-provider beyond its documented
 * configuration and public API is in this module, and only here: methods
 * replaced on its models' prototypes, its per-instance state (router, grant
 * handlers) and helpers imported by path. They were written against this
 * exact release, which package.json pins; `checkOidcProviderInternals`
 * runs on every provider built (at start-up and on each key change) and
 * stops start-up with one line naming what a new release moved.
 */
export const PINNED_OIDC_PROVIDER_VERSION = '9.13.3';

/** A member Tollgate patches or reads is not where, or not what, the pinned release had. */
export class OidcProviderInternalsChanged extends StartupError {
  override readonly name: string = 'OidcProviderInternalsChanged';

  constructor(
    readonly member: string,
    shape = 'a function',
  ) {
    super(
      `oidc-provider: ${member} is missing; this Tollgate was written for oidc-provider ${PINNED_OIDC_PROVIDER_VERSION}, where it is ${shape} (the version pinned in package.json; see src/provider/oidc-provider-internals.ts)`,
    );
  }
}

/** The part of oidc-provider's router Tollgate asks (see endpoints.ts). */
export interface ProviderRouter {
  /** The route a request reaches: its name, and the path it was registered under (`routes` in the configuration). */
  match(method: string, path: string): { route: { name: string; path: string } } | undefined;
}

/** A grant type's handler as oidc-provider's token endpoint calls it. */
export type GrantHandler = (ctx: KoaContextWithOIDC) => Promise<void>;

const isFunction = (value: unknown): value is (...args: never[]) => unknown => typeof value === 'function';
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/** Reads `path` (property names) from `root`; undefined where a step is missing or its getter throws. */
function read(root: unknown, path: readonly string[]): unknown {
  let value = root;
  for (const key of path) {
    if (!isObject(value) && !isFunction(value)) return undefined;
    try {
      value = Reflect.get(value, key);
    } catch {
      return undefined;
    }
  }
  return value;
}

const stateOf = (provider: object): unknown => instance(provider);

interface Member {
  /** How the member is named in the error. */
  readonly name: string;
  /** What it is in the pinned release, when not a function. */
  readonly shape?: string;
  readonly valid: (provider: object) => boolean;
}

const method = (...path: string[]): Member => ({ name: path.join('.'), valid: (provider) => isFunction(read(provider, path)) });
const helper = (file: string, name: string, value: unknown): Member => ({ name: `${file} export ${name}`, valid: () => isFunction(value) });

const ROUTER = 'its router (weak_cache(provider).router.match)';
const GRANT_HANDLERS = 'its grant handlers (weak_cache(provider).grantTypeHandlers)';

const MEMBERS: readonly Member[] = [
  { name: 'Provider.ctx', shape: 'a static getter', valid: () => isFunction(Object.getOwnPropertyDescriptor(Provider, 'ctx')?.get) },
  { name: ROUTER, valid: (provider) => isFunction(read(stateOf(provider), ['router', 'match'])) },
  { name: GRANT_HANDLERS, shape: 'a Map', valid: (provider) => read(stateOf(provider), ['grantTypeHandlers']) instanceof Map },
  method('OIDCContext', 'prototype', 'urlFor'),
  method('Client', 'prototype', 'compareClientSecret'),
  method('ClientCredentials', 'prototype', 'save'),
  method('AuthorizationCode', 'prototype', 'consume'),
  method('RefreshToken', 'prototype', 'consume'),
  method('RefreshToken', 'prototype', 'save'),
  helper('oidc-provider/lib/helpers/grants.js', 'validateDpop', grantHelpers.validateDpop),
  helper('oidc-provider/lib/helpers/grant_common.js', 'applyDpopBinding', grantCommon.applyDpopBinding),
];

/**
 * Throws `OidcProviderInternalsChanged` naming the first member this module
 * relies on that `provider` (a built oidc-provider instance) lacks.
 */
export function checkOidcProviderInternals(provider: object): void {
  const missing = MEMBERS.find((member) => !member.valid(provider));
  if (missing) throw new OidcProviderInternalsChanged(missing.name, missing.shape);
}

/** The request oidc-provider is answering (its AsyncLocalStorage); undefined outside one. */
export const currentRequest = (): KoaContextWithOIDC | undefined => Provider.ctx;

/** oidc-provider's own router, to ask which route a method and path reach. */
export function providerRouter(provider: Provider): ProviderRouter {
  const router = read(stateOf(provider), ['router']);
  if (!isRouter(router)) throw new OidcProviderInternalsChanged(ROUTER);
  return router;
}

function isRouter(value: unknown): value is ProviderRouter {
  return isObject(value) && isFunction(value['match']);
}

/**
 * Advertised URLs from the issuer alone. oidc-provider builds them from the
 * request's Host header, so `Host: evil.example` would otherwise publish
 * `http://evil.example/jwks` in discovery; it offers no setting for this.
 */
export function advertiseUrlsFromIssuer(provider: Provider): void {
  provider.OIDCContext.prototype.urlFor = function urlFor(name: string, options?: Parameters<Provider['urlFor']>[1]) {
    return provider.urlFor(name, options);
  };
}

/**
 * Replaces how a presented client secret is compared with the stored one
 * (`Client#compareClientSecret`): oidc-provider compares in constant time
 * against a clear-text secret and has no hook for a hashed one.
 */
export function compareClientSecretsWith(provider: Provider, compare: (client: Client, presented: string) => Promise<boolean>): void {
  provider.Client.prototype.compareClientSecret = function compareClientSecret(this: Client, presented: string) {
    return compare(this, presented);
  };
}

/** A single-use token the provider consumes: an authorization code or a refresh token. */
export interface ConsumedToken {
  readonly grantId?: string | undefined;
}

/**
 * Steps wrapped around the points where oidc-provider issues or spends a
 * token; each receives the original step and must call it (or throw).
 * oidc-provider emits its events only after these, too late to refuse.
 */
export interface TokenStepHooks {
  /** Around `ClientCredentials#save`: the issue of a client_credentials (or token-exchange) token. */
  readonly aroundClientCredentialsSave?: (token: ClientCredentials, save: () => Promise<string>) => Promise<string>;
  /** Around the `consume` of an authorization code or refresh token. */
  readonly aroundConsume?: (token: ConsumedToken, consume: () => Promise<void>) => Promise<void>;
  /** Around `RefreshToken#save` (a rotation's successor). */
  readonly aroundRefreshTokenSave?: (token: ConsumedToken, save: () => Promise<string>) => Promise<string>;
}

/** Wraps the token steps of `provider`; hooks installed later run outside earlier ones. */
export function hookTokenSteps(provider: Provider, hooks: TokenStepHooks): void {
  const { aroundClientCredentialsSave, aroundConsume, aroundRefreshTokenSave } = hooks;
  if (aroundClientCredentialsSave) {
    const prototype = provider.ClientCredentials.prototype;
    const save = prototype.save;
    prototype.save = function hookedSave(this: ClientCredentials, ...args: Parameters<typeof save>) {
      return aroundClientCredentialsSave(this, () => save.apply(this, args));
    };
  }
  if (aroundConsume) {
    for (const prototype of [provider.AuthorizationCode.prototype, provider.RefreshToken.prototype]) {
      const consume = prototype.consume;
      prototype.consume = function hookedConsume(this: typeof prototype, ...args: Parameters<typeof consume>) {
        return aroundConsume(this, () => consume.apply(this, args));
      };
    }
  }
  if (aroundRefreshTokenSave) {
    const prototype = provider.RefreshToken.prototype;
    const save = prototype.save;
    // Whatever oidc-provider passes (a rotation passes the new token's ttl) is passed on.
    prototype.save = function hookedSave(this: typeof prototype, ...args: Parameters<typeof save>) {
      return aroundRefreshTokenSave(this, () => save.apply(this, args));
    };
  }
}

/**
 * Runs `around` before every grant handler registered so far (built-in and
 * Tollgate's own): the one point after client authentication and before a
 * grant's own checks, for which oidc-provider has no hook.
 */
export function aroundGrantHandlers(provider: Provider, around: (ctx: KoaContextWithOIDC, handle: GrantHandler) => Promise<void>): void {
  const handlers = read(stateOf(provider), ['grantTypeHandlers']);
  if (!(handlers instanceof Map)) throw new OidcProviderInternalsChanged(GRANT_HANDLERS, 'a Map');
  for (const [grantType, handler] of handlers) {
    if (!isFunction(handler)) throw new OidcProviderInternalsChanged(`${GRANT_HANDLERS}.get('${String(grantType)}')`);
    const handle: GrantHandler = (ctx) => Promise.resolve(Reflect.apply(handler, undefined, [ctx]));
    handlers.set(grantType, (ctx: KoaContextWithOIDC) => around(ctx, handle));
  }
}

/**
 * The DPoP steps of oidc-provider's own grants, for the token-exchange
 * grant, so its token is bound exactly as theirs (same proof checks, nonces
 * and replay detection). oidc-provider hands these to its built-in grants
 * only.
 */
export const dpopGrantSteps = {
  validate: (provider: Provider, ctx: KoaContextWithOIDC) => grantHelpers.validateDpop(provider, ctx),
  bind: (provider: Provider, ctx: KoaContextWithOIDC, proof: grantHelpers.DpopProof | undefined, token: ClientCredentials) =>
    grantCommon.applyDpopBinding(provider, ctx, proof, token),
};
