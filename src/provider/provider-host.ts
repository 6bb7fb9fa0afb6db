import compose from 'koa-compose';
import type { Middleware, ParameterizedContext } from 'koa';
import type Provider from 'oidc-provider';
import type { JWK } from 'jose';
import { SIGNING_ALGORITHMS, type SigningKey } from '../../keys/key-store.js';
import type { GateKind } from '../rate-limit/token-endpoint-gate.js';
import { equaliseRefusal } from './client-secret.js';
import { createProvider, type ProviderDependencies } from './create-provider.js';
import type { ApiKeyIntrospector } from './api-key-introspection.js';
import { createJwtIntrospector, type IntrospectionResponse, type JwtIntrospector } from './jwt-introspection.js';
import { endpointOutcomeOf, type EndpointOutcome, type EndpointOutcomeListener } from './endpoint-outcome.js';
import { gateKindOfRoute, metricsLabelOfRoute, routeOfProvider, type RouteOf } from './endpoints.js';
import { TollgateError } from '../errors.js';
import { createIntrospectionPolicy, introspectionCallerOf, type IntrospectionPolicy } from './introspection-policy.js';

export type HostDependencies = Omit<ProviderDependencies, 'signingKeys' | 'introspectJwt'> & {
  /** Answers introspection for API keys, which the provider does not know. */
  readonly apiKeys?: ApiKeyIntrospector;
  /**
   * Records what every token, introspection and revocation request came to
   * (the audit log), awaited before the answer is sent; when it rejects the
   * client gets 503 instead, so no answer leaves without its record.
   */
  readonly recordEndpointOutcome?: (outcome: EndpointOutcome) => Promise<void>;
  /** Told what every token, introspection and revocation request came to (metrics), once it is recorded. Must not throw. */
  readonly onEndpointOutcome?: EndpointOutcomeListener;
  /** Wall clock for outcomes (tests). */
  readonly clock?: () => number;
};

/** What the host needs from the key store (keys/key-store.ts). */
export interface SigningKeySource {
  /** Cheap: changes whenever the published or signing set changes. */
  version(): Promise<string>;
  current(): Promise<{ version: string; activeKid: string; signingKeys: SigningKey[]; publicJwks: JWK[] }>;
}

interface Mounted {
  readonly provider: Provider;
  readonly version: string;
  readonly dispatch: Middleware;
  readonly introspectJwt: JwtIntrospector;
  readonly routeOf: RouteOf;
}

const errorOf = (ctx: ParameterizedContext): unknown => (ctx.body as { error?: unknown } | null | undefined)?.error;

/**
 * Holds the live oidc-provider and swaps in a new one when the signing keys
 * change (the provider fixes its keystore at construction). A request keeps
 * the provider it started on, so a swap never fails a request in flight.
 */
export class ProviderHost {
  #mounted: Mounted;
  #timer: NodeJS.Timeout | undefined;
  #refreshing: Promise<boolean> | undefined;
  readonly #introspectionVisibleTo: IntrospectionPolicy;

  private constructor(
    private readonly deps: HostDependencies,
    private readonly keys: SigningKeySource,
    mounted: Mounted,
  ) {
    this.#mounted = mounted;
    this.#introspectionVisibleTo = createIntrospectionPolicy(deps.registry.resources);
  }

  static async create(deps: HostDependencies, keys: SigningKeySource): Promise<ProviderHost> {
    return new ProviderHost(deps, keys, ProviderHost.#mount(deps, await keys.current()));
  }

  static #mount(deps: HostDependencies, keys: Awaited<ReturnType<SigningKeySource['current']>>): Mounted {
    // One verifier per key set: the admin API and token exchange both check this server's JWTs with it.
    const introspectJwt = createJwtIntrospector({
      issuer: deps.config.issuer,
      publicJwks: keys.publicJwks,
      algorithms: SIGNING_ALGORITHMS,
      clients: deps.registry.clients,
    });
    const provider = createProvider({ ...deps, signingKeys: keys.signingKeys, introspectJwt });
    // The provider answers internal failures with a generic server_error;
    // keep the cause for the host, which logs it and maps outages to 503.
    provider.on('server_error', (ctx: ParameterizedContext, error: unknown) => {
      ctx.state.serverError = error;
    });
    return {
      provider,
      version: keys.version,
      dispatch: compose(provider.middleware) as Middleware,
      introspectJwt,
      routeOf: routeOfProvider(provider),
    };
  }

  /**
   * How the rate-limit gate treats a request, from the route this host's
   * oidc-provider would dispatch it to (see endpoints.ts): one answer for
   * every spelling the provider accepts, none for those it does not route.
   */
  readonly gateKindOf = (ctx: Pick<ParameterizedContext, 'method' | 'path'>): GateKind | undefined =>
    gateKindOfRoute(this.#mounted.routeOf(ctx.method, ctx.path)?.name);

  /** The metrics label of a request to one of the provider's endpoints (see endpoints.ts), from the same router. */
  readonly metricsLabelOf = (ctx: Pick<ParameterizedContext, 'method' | 'path'>): string | undefined =>
    metricsLabelOfRoute(this.#mounted.routeOf(ctx.method, ctx.path));

  get provider(): Provider {
    return this.#mounted.provider;
  }

  /**
   * Verifies a JWT access token this server issued against its published
   * keys and applies introspection's client rule (enabled, tokens not
   * revoked): how Tollgate's own admin API authenticates its callers.
   */
  verifyAccessToken(token: string): Promise<IntrospectionResponse> {
    return this.#mounted.introspectJwt(token);
  }

  /** Rebuilds the provider if the key set changed; true when it swapped. */
  refresh(): Promise<boolean> {
    this.#refreshing ??= (async () => {
      try {
        if ((await this.keys.version()) === this.#mounted.version) return false;
        this.#mounted = ProviderHost.#mount(this.deps, await this.keys.current());
        return true;
      } finally {
        this.#refreshing = undefined;
      }
    })();
    return this.#refreshing;
  }

  /** Polls the key table so every instance notices a rotation within `intervalMs`. */
  watch(intervalMs: number, onError: (error: unknown) => void): void {
    this.#timer = setInterval(() => this.refresh().catch(onError), intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  middleware(): Middleware {
    const { recordEndpointOutcome, onEndpointOutcome, clock = Date.now } = this.deps;
    const trustProxy = this.deps.config.rateLimits.trustProxy;
    const answer = this.#answer.bind(this);
    if (!recordEndpointOutcome && !onEndpointOutcome) return answer;
    return async (ctx, next) => {
      await answer(ctx, next);
      const outcome = endpointOutcomeOf(ctx, trustProxy, clock());
      if (!outcome) return;
      if (recordEndpointOutcome && outcome.status >= 500) {
        // Nothing was issued or refused: the provider could not answer, most
        // often for the very database the event would wait on. Recorded when
        // it can be, never awaited, so an outage answers within one bound.
        recordEndpointOutcome(outcome).catch(() => undefined);
      } else if (recordEndpointOutcome) {
        try {
          await recordEndpointOutcome(outcome);
        } catch (cause) {
          throw new TollgateError(503, 'temporarily_unavailable', 'the audit log is unavailable, retry later', { cause });
        }
      }
      onEndpointOutcome?.(outcome);
    };
  }

  async #answer(ctx: ParameterizedContext, next: () => Promise<unknown>): Promise<void> {
    const mounted = this.#mounted;
    await mounted.dispatch(ctx, next);
    const { oidc } = ctx;
    if (!oidc) return;

    // Verifiers may cache the key set this long; the key lifecycle waits
    // out the same window before a new key signs or an old one leaves.
    if (oidc.route === 'jwks' && ctx.status === 200) {
      ctx.set('Cache-Control', `public, max-age=${this.deps.config.jwksMaxAgeSeconds}`);
      return;
    }

    // The provider answers these only after authenticating the caller, so
    // completing the answer here keeps introspection client-authenticated.
    if (oidc.route === 'introspection' && oidc.client) {
      const token = String(oidc.params?.['token'] ?? '');
      if (ctx.status === 400 && errorOf(ctx) === 'unsupported_token_type') {
        ctx.status = 200;
        ctx.body = await mounted.introspectJwt(token);
      }
      const { apiKeys } = this.deps;
      if (ctx.status === 200 && (ctx.body as { active?: unknown })?.active === false && apiKeys?.handles(token, oidc.params?.['token_type_hint'])) {
        ctx.body = await apiKeys.introspect(token);
      }
      // Opaque tokens, JWTs and API keys alike: only their own tenant's
      // resource services (and their own client) see them active.
      const caller = introspectionCallerOf(oidc.client);
      if (ctx.status === 200) {
        ctx.body = caller ? await this.#introspectionVisibleTo(caller, ctx.body as IntrospectionResponse) : { active: false };
      }
      return;
    }

    if (ctx.status === 401 && errorOf(ctx) === 'invalid_client') await equaliseRefusal(ctx);
  }
}
