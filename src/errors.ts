import { isDatabaseUnavailable } from '../adapters/database-errors.js';
import { BaseError } from '../errors/base-error.js';
import { KeyStoreError } from '../keys/errors.js';

export { BaseError };

/** The OAuth `error` values Tollgate's own endpoints answer with. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'invalid_scope'
  | 'invalid_target'
  | 'invalid_redirect_uri'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'unsupported_grant_type'
  | 'not_found'
  | 'conflict'
  | 'request_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'temporarily_unavailable'
  | 'server_error';

/**
 * A request Tollgate itself refuses: an HTTP status, the OAuth `error` code a
 * client branches on (its `code`), and a description that is safe to show.
 * A 5xx other than 503 is not exposed: it is serialised as `server_error`,
 * so no internal message reaches a client (the shape of oidc-provider's errors).
 */
export class TollgateError extends BaseError<OAuthErrorCode> {
  override readonly name = 'TollgateError';

  constructor(status: number, error: OAuthErrorCode, description: string, options: { cause?: unknown } = {}) {
    super(error, description, { status, expose: status < 500 || status === 503, cause: options.cause });
  }

  /** The OAuth `error` of the response body: the same value as `code`. */
  get error(): OAuthErrorCode {
    return this.code;
  }
}

export const invalidRequest = (description: string) => new TollgateError(400, 'invalid_request', description);
export const notFound = (description: string) => new TollgateError(404, 'not_found', description);
export const conflict = (description: string) => new TollgateError(409, 'conflict', description);

export interface ErrorBody {
  error: string;
  error_description: string;
}

/** The one place an error becomes a response body. */
export function errorBody(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof TollgateError && error.expose) {
    return { status: error.status, body: { error: error.error, error_description: error.message } };
  }
  const status = (error as { status?: unknown })?.status;
  if (typeof status === 'number' && status >= 400 && status < 500 && (error as { expose?: unknown }).expose) {
    // Koa's own client errors (body parsing, 413) carry status + expose.
    const code: OAuthErrorCode = status === 413 ? 'request_too_large' : status === 415 ? 'unsupported_media_type' : 'invalid_request';
    return { status, body: { error: code, error_description: (error as Error).message } };
  }
  return { status: 500, body: { error: 'server_error', error_description: 'internal server error' } };
}

/**
 * A dependency (database, Redis, the PKCS#11 signing module) is down,
 * unreachable, past its time bound or busy: the client should retry later
 * (503), not be told the server is broken (500). The socket codes it
 * recognises are Redis's as well.
 */
export function isDependencyUnavailable(error: unknown): boolean {
  return isDatabaseUnavailable(error) || (error instanceof KeyStoreError && error.code === 'ERR_SIGNING_MODULE_UNAVAILABLE');
}

/** The answer to a request that failed because a dependency is unavailable. */
export const dependencyUnavailable = (cause: unknown) =>
  new TollgateError(503, 'temporarily_unavailable', 'a dependency is unavailable, retry later', { cause });
