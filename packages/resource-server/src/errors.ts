/**
 * What went wrong, as a code a caller can branch on. Each code fixes the HTTP
 * status and the OAuth `error` the middleware answers with.
 *
 * | code                       | status | OAuth `error`             |
 * | -------------------------- | ------ | ------------------------- |
 * | `ERR_MISSING_TOKEN`        | 401    | `invalid_token` (body only; a bare challenge) |
 * | `ERR_INVALID_REQUEST`      | 400    | `invalid_request`         |
 * | `ERR_INVALID_TOKEN`        | 401    | `invalid_token`           |
 * | `ERR_TOKEN_EXPIRED`        | 401    | `invalid_token`           |
 * | `ERR_INVALID_API_KEY`      | 401    | `invalid_token`           |
 * | `ERR_INVALID_DPOP_PROOF`   | 401    | `invalid_dpop_proof`      |
 * | `ERR_INSUFFICIENT_SCOPE`   | 403    | `insufficient_scope`      |
 * | `ERR_INSUFFICIENT_ROLE`    | 403    | `insufficient_scope`      |
 * | `ERR_WRONG_TENANT`         | 403    | `insufficient_scope`      |
 * | `ERR_JWKS_UNAVAILABLE`     | 503    | `temporarily_unavailable` |
 * | `ERR_INTROSPECTION_FAILED` | 503    | `temporarily_unavailable` |
 *
 * @example
 * ```ts
 * try {
 *   await verifier.verify({ authorization });
 * } catch (err) {
 *   if (err instanceof ResourceServerError && err.code === 'ERR_TOKEN_EXPIRED') {
 *     // ask the client to fetch a new token
 *   }
 * }
 * ```
 *
 * @see RFC 6750 section 3.1 (error codes)
 */
export type ResourceServerErrorCode =
  | 'ERR_MISSING_TOKEN'
  | 'ERR_INVALID_REQUEST'
  | 'ERR_INVALID_TOKEN'
  | 'ERR_TOKEN_EXPIRED'
  | 'ERR_INVALID_API_KEY'
  | 'ERR_INVALID_DPOP_PROOF'
  | 'ERR_INSUFFICIENT_SCOPE'
  | 'ERR_INSUFFICIENT_ROLE'
  | 'ERR_WRONG_TENANT'
  | 'ERR_JWKS_UNAVAILABLE'
  | 'ERR_INTROSPECTION_FAILED';

/**
 * The OAuth error values this package answers with: RFC 6750's three,
 * RFC 9449's `invalid_dpop_proof`, and RFC 6749's `temporarily_unavailable`
 * for a 503 caused by the authorization server being unreachable.
 *
 * @example
 * ```ts
 * const body: { error: OAuthErrorValue } = { error: 'invalid_token' };
 * ```
 *
 * @see RFC 6750 section 3.1, RFC 6749 section 4.1.2.1
 */
export type OAuthErrorValue =
  | 'invalid_request'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'invalid_dpop_proof'
  | 'temporarily_unavailable';

const DEFINITIONS: Readonly<Record<ResourceServerErrorCode, { status: number; error: OAuthErrorValue }>> = {
  ERR_MISSING_TOKEN: { status: 401, error: 'invalid_token' },
  ERR_INVALID_REQUEST: { status: 400, error: 'invalid_request' },
  ERR_INVALID_TOKEN: { status: 401, error: 'invalid_token' },
  ERR_TOKEN_EXPIRED: { status: 401, error: 'invalid_token' },
  ERR_INVALID_API_KEY: { status: 401, error: 'invalid_token' },
  ERR_INVALID_DPOP_PROOF: { status: 401, error: 'invalid_dpop_proof' },
  ERR_INSUFFICIENT_SCOPE: { status: 403, error: 'insufficient_scope' },
  // RFC 6750 has one 403 error: "requires higher privileges than provided".
  ERR_INSUFFICIENT_ROLE: { status: 403, error: 'insufficient_scope' },
  ERR_WRONG_TENANT: { status: 403, error: 'insufficient_scope' },
  ERR_JWKS_UNAVAILABLE: { status: 503, error: 'temporarily_unavailable' },
  ERR_INTROSPECTION_FAILED: { status: 503, error: 'temporarily_unavailable' },
};

/** Options of {@link ResourceServerError}'s constructor. */
interface ResourceServerErrorOptions {
  /** The protection space named in the challenge (RFC 7235 section 2.2). */
  realm?: string | undefined;
  /** The scopes the request needed, for `insufficient_scope`. */
  scope?: readonly string[] | undefined;
  /** The challenge's auth scheme: `DPoP` for DPoP-bound tokens (RFC 9449 §7.1). Default `Bearer`. */
  scheme?: 'Bearer' | 'DPoP' | undefined;
  /** For a `DPoP` challenge: the proof algorithms accepted (`algs`). */
  algs?: readonly string[] | undefined;
  /** The underlying error, for debugging; never a token or key. */
  cause?: unknown;
}

/**
 * The one error this package throws for a request it refuses. It carries a
 * typed {@link ResourceServerErrorCode}, the HTTP `status`, the OAuth
 * `error`, a human-readable `description` (never containing the token or API
 * key), and the RFC 6750 `WWW-Authenticate` challenge to send back.
 *
 * @example
 * Answering from a framework this package has no middleware for:
 * ```ts
 * try {
 *   request.principal = await verifier.verify({ authorization, apiKey });
 * } catch (err) {
 *   if (!(err instanceof ResourceServerError)) throw err;
 *   if (err.wwwAuthenticate) reply.header('WWW-Authenticate', err.wwwAuthenticate);
 *   reply.status(err.status).send(err.toJSON());
 * }
 * ```
 *
 * @see RFC 6750 section 3 (the WWW-Authenticate response header field)
 */
export class ResourceServerError extends Error {
  override readonly name = 'ResourceServerError';
  /** What went wrong; branch on this, never on the message. */
  readonly code: ResourceServerErrorCode;
  /** The HTTP status to answer with (400, 401, 403 or 503). */
  readonly status: number;
  /** The OAuth `error` value for the response body and challenge. */
  readonly error: OAuthErrorValue;
  /** The `error_description`: fixed text, safe to send to the client. */
  readonly description: string;
  /** The protection space, when the error came from a verifier. */
  readonly realm: string | undefined;
  /** The scopes that were required, for `ERR_INSUFFICIENT_SCOPE`. */
  readonly scope: readonly string[] | undefined;
  /** The challenge's auth scheme. */
  readonly scheme: 'Bearer' | 'DPoP';
  readonly #algs: readonly string[] | undefined;

  constructor(code: ResourceServerErrorCode, description: string, options: ResourceServerErrorOptions = {}) {
    super(description, options.cause === undefined ? undefined : { cause: options.cause });
    const definition = DEFINITIONS[code];
    this.code = code;
    this.status = definition.status;
    this.error = definition.error;
    this.description = description;
    this.realm = options.realm;
    this.scope = options.scope === undefined ? undefined : Object.freeze([...options.scope]);
    this.scheme = options.scheme ?? 'Bearer';
    this.#algs = options.algs;
  }

  /**
   * The `WWW-Authenticate` value, or `undefined` for a 503 (which carries no
   * challenge). A request that presented no credential gets a bare challenge
   * without `error`, as RFC 6750 section 3.1 asks.
   */
  get wwwAuthenticate(): string | undefined {
    if (this.status === 503) return undefined;
    const params: string[] = [];
    if (this.realm !== undefined) params.push(`realm=${quoted(this.realm)}`);
    if (this.code !== 'ERR_MISSING_TOKEN') {
      params.push(`error=${quoted(this.error)}`, `error_description=${quoted(this.description)}`);
      if (this.scope !== undefined) params.push(`scope=${quoted(this.scope.join(' '))}`);
    }
    if (this.scheme === 'DPoP' && this.#algs !== undefined) params.push(`algs=${quoted(this.#algs.join(' '))}`);
    return params.length === 0 ? this.scheme : `${this.scheme} ${params.join(', ')}`;
  }

  /** The JSON response body: `{ error, error_description }`. */
  toJSON(): { error: OAuthErrorValue; error_description: string } {
    return { error: this.error, error_description: this.description };
  }
}

/**
 * An RFC 7230 quoted-string. RFC 6750 forbids `"` and `\` in its attribute
 * values, so rather than escaping them they are dropped, as are characters
 * outside printable ASCII.
 */
function quoted(value: string): string {
  return `"${value.replace(/[^\x20-\x7e]|["\\]/g, '')}"`;
}
