import type { ExpressMiddleware, ExpressRequestLike, HeadersLike, KoaContextLike } from '../../src/index.js';

/** A minimal Koa context, like Koa's own test helper builds. */
export interface FakeKoaContext extends KoaContextLike {
  readonly responseHeaders: Map<string, string>;
}

export function koaContext(headers: HeadersLike = {}): FakeKoaContext {
  const responseHeaders = new Map<string, string>();
  return {
    headers,
    state: {},
    status: 404,
    body: undefined,
    responseHeaders,
    set(field, value) {
      responseHeaders.set(field.toLowerCase(), value);
    },
  };
}

/** A minimal `http.ServerResponse`. */
export interface FakeResponse {
  statusCode: number;
  readonly headers: Map<string, string>;
  body: string | undefined;
  setHeader(name: string, value: string): void;
  end(body: string): void;
}

/** What an Express middleware did: called `next` (with what), or answered. */
export interface ExpressOutcome {
  readonly nextCalled: boolean;
  readonly nextError: unknown;
  readonly res: FakeResponse;
  readonly req: ExpressRequestLike;
}

/** Runs an Express middleware to completion: until it calls `next` or ends the response. */
export function runExpress(middleware: ExpressMiddleware, req: ExpressRequestLike): Promise<ExpressOutcome> {
  return new Promise((resolve) => {
    const res: FakeResponse = {
      statusCode: 200,
      headers: new Map(),
      body: undefined,
      setHeader(name, value) {
        this.headers.set(name.toLowerCase(), value);
      },
      end(body) {
        this.body = body;
        resolve({ nextCalled: false, nextError: undefined, res, req });
      },
    };
    middleware(req, res, (err?: unknown) => resolve({ nextCalled: true, nextError: err, res, req }));
  });
}
