import type { HeadersLike } from './credentials.js';
import type { RequestLike } from './verifier.js';
import { ResourceServerError } from './errors.js';
import type { Principal } from './principal.js';

/**
 * The parts of an Express (or Connect, or plain `node:http`) request this
 * package uses. The middleware stores the principal in `req.principal`.
 *
 * @example
 * ```ts
 * app.get('/me', (req, res) => res.json((req as ExpressRequestLike).principal));
 * ```
 *
 * @see https://expressjs.com/en/api.html#req
 */
export interface ExpressRequestLike {
  readonly headers: HeadersLike;
  /** For DPoP proofs (`htm`). */
  readonly method?: string | undefined;
  /** Express's `req.protocol` (honours `trust proxy`); `http` when absent. For DPoP proofs (`htu`). */
  readonly protocol?: string | undefined;
  /** Express's `req.originalUrl`, else node's `req.url`. For DPoP proofs (`htu`). */
  readonly originalUrl?: string | undefined;
  readonly url?: string | undefined;
  principal?: Principal;
}

/**
 * The parts of a response this package uses: those of `http.ServerResponse`,
 * so the middleware also works with Connect or a bare `node:http` server.
 *
 * @example
 * ```ts
 * http.createServer((req, res) => verifier.express()(req, res, () => res.end('ok')));
 * ```
 *
 * @see https://nodejs.org/api/http.html#class-httpserverresponse
 */
export interface ExpressResponseLike {
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  end(body: string): unknown;
}

/**
 * Express's `next`.
 *
 * @example
 * ```ts
 * const next: ExpressNext = (err) => { if (err) console.error(err); };
 * ```
 */
export type ExpressNext = (err?: unknown) => void;

/**
 * An Express middleware.
 *
 * @example
 * ```ts
 * const authenticate: ExpressMiddleware = verifier.express();
 * app.use(authenticate);
 * ```
 *
 * @see RFC 6750 section 3
 */
export type ExpressMiddleware = (req: ExpressRequestLike, res: ExpressResponseLike, next: ExpressNext) => void;

/**
 * Authenticates each request; on success stores the principal in
 * `req.principal` and calls `next()`, otherwise answers with the error's
 * status, challenge and JSON body. Unexpected errors go to `next(err)`.
 */
export function createExpressMiddleware(authenticate: (request: RequestLike) => Promise<Principal>): ExpressMiddleware {
  return (req, res, next) => {
    authenticate({ headers: req.headers, method: req.method, url: requestUrl(req) }).then(
      (principal) => {
        req.principal = principal;
        next();
      },
      (err: unknown) => {
        if (err instanceof ResourceServerError) respondExpress(res, err);
        else next(err);
      },
    );
  };
}

/** The URL the client called, as a DPoP proof's `htu` names it. */
function requestUrl(req: ExpressRequestLike): string | undefined {
  const host = req.headers['host'];
  const path = req.originalUrl ?? req.url;
  if (typeof host !== 'string' || path === undefined) return undefined;
  return `${req.protocol ?? 'http'}://${host}${path}`;
}

/** Writes a refusal to a Node response. */
export function respondExpress(res: ExpressResponseLike, err: ResourceServerError): void {
  res.statusCode = err.status;
  const challenge = err.wwwAuthenticate;
  if (challenge !== undefined) res.setHeader('WWW-Authenticate', challenge);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(err.toJSON()));
}
