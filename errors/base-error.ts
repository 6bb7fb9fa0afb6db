/**
 * The one root of every error Tollgate raises on purpose, shaped like
 * oidc-provider's `OIDCProviderError` and jose's `JOSEError`:
 *
 * - `code`: what went wrong, a typed union per subclass; callers branch on
 *   it, never on the message;
 * - `status`: the HTTP status the error answers a request with (500 for an
 *   error no client caused);
 * - `expose`: whether an HTTP client may read the message; by default only
 *   below 500. This is Koa's and oidc-provider's meaning of the same field,
 *   and it has to be: both read `status` and `expose` on any error thrown
 *   through them, and oidc-provider answers an exposed error with its
 *   message, so a 5xx exposed by default would show a client what was meant
 *   for an operator (a PKCS#11 module's path, a database's address). The CLI
 *   shows every BaseError's message (its reader is the operator), and
 *   anything else as "unexpected error".
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
    this.expose = options.expose ?? this.status < 500;
  }
}
