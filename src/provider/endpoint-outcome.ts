import type { ParameterizedContext } from 'koa';
import { clientIdOf } from '../http/client-id.js';
import { issuedJwtId } from './issued-token-id.js';
import { clientIp, type TrustProxy } from '../http/client-ip.js';
import { isClientEndpoint, type ClientEndpoint } from './endpoints.js';

/**
 * What one request to a client-authenticating endpoint came to, for the
 * audit log, metrics and quotas. Carries ids and error codes only: never a
 * secret, token or header.
 */
export interface EndpointOutcome {
  readonly endpoint: ClientEndpoint;
  /** 2xx: a token was issued, introspected or revoked. */
  readonly succeeded: boolean;
  readonly status: number;
  /** The OAuth error code of a refusal (`invalid_client`, `invalid_scope`, …). */
  readonly error: string | undefined;
  /** Why, when Tollgate knows more than the error code says (`ip_not_allowed`); never sent to the client. */
  readonly reason: string | undefined;
  readonly grantType: string | undefined;
  /** The authenticated client, or the id a failed authentication named (when the provider read one). */
  readonly clientId: string | undefined;
  /** Only once the client authenticated. */
  readonly tenantId: string | undefined;
  readonly ip: string;
  readonly requestId: string | undefined;
  /** Wall-clock time of the answer (ms since epoch). */
  readonly at: number;
  /** The `jti` of an issued JWT access token (never an opaque token's id: that is the token). */
  readonly tokenId?: string | undefined;
}

export type EndpointOutcomeListener = (outcome: EndpointOutcome) => void;


/** The outcome of a request the provider just answered, or undefined for other endpoints. */
export function endpointOutcomeOf(ctx: ParameterizedContext, trustProxy: TrustProxy, at: number): EndpointOutcome | undefined {
  const { oidc } = ctx;
  const endpoint = oidc?.route;
  if (!oidc || !isClientEndpoint(endpoint)) return undefined;
  const status = ctx.status;
  const body = ctx.body as { error?: unknown } | null | undefined;
  const error = status >= 400 && typeof body?.error === 'string' ? body.error : undefined;
  const client = oidc.client;
  // oidc-provider loads the client before it checks the credentials, so a
  // wrong secret still leaves `oidc.client` set; every failed check answers
  // invalid_client. Only an authenticated client is attributed to a tenant.
  const authenticated = client !== undefined && error !== 'invalid_client';
  // A property read, not `client.metadata()`: that rebuilds every field in snake_case, per request.
  const tenantId = authenticated ? client.tenant_id : undefined;
  const namedClientId = client ? undefined : (oidc.params?.['client_id'] ?? clientIdOf(ctx));
  const grantType = oidc.params?.['grant_type'];
  return {
    endpoint,
    succeeded: status >= 200 && status < 300,
    status,
    error,
    reason: ctx.state.refusalReason ?? error,
    grantType: typeof grantType === 'string' ? grantType : undefined,
    clientId: client?.clientId ?? (typeof namedClientId === 'string' && namedClientId.length <= 256 ? namedClientId : undefined),
    tenantId: typeof tenantId === 'string' ? tenantId : undefined,
    ip: clientIp(ctx, trustProxy),
    requestId: ctx.response.get('x-request-id') || undefined,
    at,
    tokenId: oidc.route === 'token' && status === 200 ? issuedJwtId(ctx.body) : undefined,
  };
}

/** One listener that tells each of `listeners`; one failing listener does not stop the others or the request. */
export function fanOut(...listeners: (EndpointOutcomeListener | undefined)[]): EndpointOutcomeListener | undefined {
  const active = listeners.filter((listener): listener is EndpointOutcomeListener => listener !== undefined);
  if (active.length === 0) return undefined;
  return (outcome) => {
    for (const listener of active) {
      try {
        listener(outcome);
      } catch {
        // Observers (audit, metrics) must never turn an answer into a 500.
      }
    }
  };
}
