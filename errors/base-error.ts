/**
 * The one root of every error Tollgate raises on purpose, shaped like
 * oidc-provider's `OIDCProviderError` and jose's `JOSEError`:
 *
 * - `code`: what went wrong, a typed union per subclass; callers branch on
 *   it, never on the message;
 * - `status`: the HTTP status the error answers a request with (500 for an
 *   error no client caused);
 * - `expose`: whether the message was written for whoever reads it (a client,
 *   an operator at the CLI) and holds nothing secret. Anything unexposed is
 *   an unexpected failure: the HTTP serializer answers `server_error`, the
 *   CLI prints "unexpected error".
 *
 * It lives in a folder of its own, importing nothing, because `src/`,
 * `adapters/` and `keys/` all subclass it and the layering rule lets neither
 * of the last two import `src/` (and they already import each other, so
 * neither is the other's base).
 *
 * @example
 * class SealError extends BaseError<'ERR_SEAL_MALFORMED'> {
 *   override readonly name = 'SealError';
 * }
 * throw new SealError('ERR_SEAL_MALFORMED', 'sealed value is not in the v1 format');
 */
export class BaseError<Code extends string = string> extends Error {
  readonly code: Code;
  readonly status: number;
  readonly expose: boolean;

  constructor(code: Code, message: string, options: { status?: number; expose?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status ?? 500;
    this.expose = options.expose ?? true;
  }
}
