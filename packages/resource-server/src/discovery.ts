import { ResourceServerError } from './errors.js';
import type { ResourceServerErrorCode } from './errors.js';
import { isJsonObject, requestJson } from './http.js';
import { parseHttpUrl } from './options.js';
import type { VerifierConfig } from './options.js';

/** The authorization-server endpoints a verifier uses. */
export interface EndpointResolver {
  /** The JWKS URI; a discovery failure is an `ERR_JWKS_UNAVAILABLE`. */
  jwksUri(): Promise<URL>;
  /** The introspection endpoint; a discovery failure is an `ERR_INTROSPECTION_FAILED`. */
  introspectionEndpoint(): Promise<URL>;
}

interface DiscoveredEndpoints {
  readonly jwksUri?: URL;
  readonly introspectionEndpoint?: URL;
}

/**
 * Endpoints from explicit options, else from OpenID Connect Discovery, else
 * the Tollgate defaults. Discovery is fetched lazily, only when an endpoint
 * was not given, and once; a failed fetch is remembered for
 * `retryAfterFailure` so that an outage does not turn every request into a
 * discovery request.
 *
 * @see OpenID Connect Discovery 1.0 section 4, RFC 8414 section 3
 */
export function createEndpointResolver(config: VerifierConfig): EndpointResolver {
  let discovered: DiscoveredEndpoints | undefined;
  let pending: Promise<DiscoveredEndpoints> | undefined;
  let failure: { at: number; description: string } | undefined;

  const discover = async (onFailure: DiscoveryFailureCode): Promise<DiscoveredEndpoints> => {
    if (discovered !== undefined) return discovered;
    if (failure !== undefined && Date.now() - failure.at < config.retryAfterFailureMs) {
      throw new ResourceServerError(onFailure, failure.description, { realm: config.realm });
    }
    pending ??= fetchDiscovery(config).finally(() => {
      pending = undefined;
    });
    try {
      discovered = await pending;
      failure = undefined;
      return discovered;
    } catch (cause) {
      const description = cause instanceof DiscoveryError ? cause.message : 'authorization server discovery failed';
      failure = { at: Date.now(), description };
      throw new ResourceServerError(onFailure, description, { realm: config.realm, cause });
    }
  };

  return {
    async jwksUri() {
      if (config.jwksUri !== undefined) return config.jwksUri;
      return (await discover('ERR_JWKS_UNAVAILABLE')).jwksUri ?? config.defaultJwksUri;
    },
    async introspectionEndpoint() {
      const explicit = config.introspection?.endpoint;
      if (explicit !== undefined) return explicit;
      return (await discover('ERR_INTROSPECTION_FAILED')).introspectionEndpoint ?? config.defaultIntrospectionEndpoint;
    },
  };
}

type DiscoveryFailureCode = Extract<ResourceServerErrorCode, 'ERR_JWKS_UNAVAILABLE' | 'ERR_INTROSPECTION_FAILED'>;

class DiscoveryError extends Error {}

async function fetchDiscovery(config: VerifierConfig): Promise<DiscoveredEndpoints> {
  const { status, body } = await requestJson(config.discoveryUrl, { method: 'GET', headers: { accept: 'application/json' } }, config.httpTimeoutMs);
  // An issuer without a discovery document is fine: the defaults apply.
  if (status === 404) return {};
  if (status !== 200 || !isJsonObject(body)) throw new DiscoveryError('authorization server discovery failed');
  // A document naming another issuer would point the verifier at someone
  // else's keys (OpenID Connect Discovery section 4.3).
  if (body.issuer !== config.issuer) throw new DiscoveryError('discovery document names a different issuer');
  return Object.freeze({
    ...optionalUrl('jwksUri', body.jwks_uri),
    ...optionalUrl('introspectionEndpoint', body.introspection_endpoint),
  });
}

function optionalUrl<K extends string>(key: K, value: unknown): Partial<Record<K, URL>> {
  if (value === undefined) return {};
  const url = typeof value === 'string' ? parseHttpUrl(value) : undefined;
  if (url === undefined) throw new DiscoveryError('discovery document has an invalid endpoint URL');
  return { [key]: url } as Partial<Record<K, URL>>;
}
