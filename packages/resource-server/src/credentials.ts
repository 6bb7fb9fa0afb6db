import { ResourceServerError } from './errors.js';

/**
 * What a request presented, as raw header values. `verify()` takes this, so
 * any framework can call it.
 *
 * @example
 * ```ts
 * await verifier.verify({
 *   authorization: req.headers.authorization, // 'Bearer eyJ…'
 *   apiKey: req.headers['x-api-key'],         // 'tg_live_…'
 * });
 * ```
 *
 * @see RFC 6750 section 2.1 (Authorization request header field)
 */
export interface Credentials {
  /** The `Authorization` header value; the `Bearer`, `DPoP` and `ApiKey` schemes are read. */
  authorization?: string | null | undefined;
  /** The `X-API-Key` header value (or use `Authorization: ApiKey <key>`). */
  apiKey?: string | null | undefined;
  /** The `DPoP` header value: the proof sent with a DPoP-bound token (RFC 9449). */
  dpop?: string | null | undefined;
  /** The request method; needed to check a DPoP proof's `htm`. */
  method?: string | undefined;
  /** The full URL the client called (`https://api.example.com/projects`); needed to check a DPoP proof's `htu`. */
  url?: string | undefined;
}

/**
 * Request headers as Node, Koa and Express expose them (lower-case names).
 *
 * @example
 * ```ts
 * const headers: HeadersLike = { authorization: 'Bearer eyJ…', 'x-api-key': undefined };
 * ```
 *
 * @see RFC 9110 section 5 (field names are case-insensitive; Node lower-cases them)
 */
export type HeadersLike = Readonly<Record<string, string | readonly string[] | undefined>>;

/** The one credential a request is authenticated with. */
export type PresentedCredential = { kind: 'access_token'; token: string; scheme: 'bearer' | 'dpop' } | { kind: 'api_key'; apiKey: string };

/**
 * Picks the credential out of the headers. A request with none gets
 * `ERR_MISSING_TOKEN`; other `Authorization` schemes (Basic) count as
 * none, since this resource server does not accept them. A request with both
 * a bearer token and an API key is refused, as RFC 6750 section 3.1 refuses
 * more than one method.
 *
 * @see RFC 6750 sections 2.1 and 3.1
 */
export function selectCredential(credentials: Credentials, realm: string): PresentedCredential {
  const invalidRequest = (description: string): ResourceServerError =>
    new ResourceServerError('ERR_INVALID_REQUEST', description, { realm });
  for (const value of [credentials.authorization, credentials.apiKey, credentials.dpop]) {
    // Guards JavaScript callers that pass a repeated header's array through.
    if (value !== undefined && value !== null && typeof value !== 'string') throw invalidRequest('a credential header is not a single string');
  }
  const fromAuthorization = authorizationCredential(credentials.authorization, invalidRequest);
  const token = fromAuthorization?.scheme === 'bearer' || fromAuthorization?.scheme === 'dpop' ? fromAuthorization.value : undefined;
  const headerKey = credentials.apiKey === null || credentials.apiKey === '' ? undefined : credentials.apiKey;
  if (fromAuthorization !== undefined && headerKey !== undefined) throw invalidRequest('present a bearer token or an API key, not both');
  const apiKey = fromAuthorization?.scheme === 'apikey' ? fromAuthorization.value : headerKey;
  if (token !== undefined) return { kind: 'access_token', token, scheme: fromAuthorization!.scheme === 'dpop' ? 'dpop' : 'bearer' };
  if (apiKey !== undefined) return { kind: 'api_key', apiKey };
  throw new ResourceServerError('ERR_MISSING_TOKEN', 'no bearer token or API key was presented', { realm });
}

/** Reads {@link Credentials} from request headers (and the method and URL, for DPoP). */
export function credentialsFromHeaders(headers: HeadersLike, realm: string, request: { method?: string | undefined; url?: string | undefined } = {}): Credentials {
  return {
    authorization: singleHeader(headers, 'authorization', realm),
    apiKey: singleHeader(headers, 'x-api-key', realm),
    // RFC 9449 §4.3: exactly one DPoP header; a repeated one is refused below.
    dpop: singleHeader(headers, 'dpop', realm),
    method: request.method,
    url: request.url,
  };
}

function singleHeader(headers: HeadersLike, name: string, realm: string): string | undefined {
  const value = headers[name];
  if (typeof value === 'string' || value === undefined) return value;
  throw new ResourceServerError('ERR_INVALID_REQUEST', `the ${name} header is repeated`, { realm });
}

/**
 * The credential of a `Bearer`, `DPoP` or `ApiKey` Authorization header;
 * `undefined` when there is none or another scheme (Basic) is used.
 */
function authorizationCredential(
  authorization: string | null | undefined,
  invalidRequest: (description: string) => ResourceServerError,
): { scheme: 'bearer' | 'dpop' | 'apikey'; value: string } | undefined {
  if (authorization === undefined || authorization === null || authorization === '') return undefined;
  const separator = authorization.indexOf(' ');
  const scheme = (separator === -1 ? authorization : authorization.slice(0, separator)).toLowerCase();
  if (scheme !== 'bearer' && scheme !== 'dpop' && scheme !== 'apikey') return undefined;
  const value = separator === -1 ? '' : authorization.slice(separator + 1).trim();
  if (value === '' || value.includes(' ')) throw invalidRequest('the Authorization header is malformed');
  return { scheme, value };
}
