import { once } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JWK } from 'jose';

/** One request the fake introspection endpoint received. */
export interface IntrospectionRequest {
  readonly authorization: string | undefined;
  readonly contentType: string | undefined;
  readonly form: URLSearchParams;
}

/** What the introspection endpoint answers for one request. */
export interface IntrospectionAnswer {
  readonly status: number;
  readonly body?: unknown;
}

/**
 * A stand-in for Tollgate on 127.0.0.1, port 0: discovery, JWKS and
 * introspection, each counting its requests. Tests change its fields to
 * change what it serves.
 */
export interface FakeAuthorizationServer {
  readonly issuer: string;
  readonly requests: { discovery: number; jwks: number; introspection: number };
  readonly introspectionRequests: IntrospectionRequest[];
  /** The JWKS served; replace to rotate. */
  jwks: { keys: JWK[] };
  /** The HTTP status of the JWKS endpoint; anything but 200 serves an error. */
  jwksStatus: number;
  /** The discovery document, or a status to answer with instead. */
  discovery: Record<string, unknown> | number;
  /** Answers introspection; by default every key is inactive. */
  introspect: (form: URLSearchParams) => IntrospectionAnswer;
  close(): Promise<void>;
}

export async function startAuthorizationServer(): Promise<FakeAuthorizationServer> {
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      res.statusCode = 500;
      res.end(String(err));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;

  const fake: FakeAuthorizationServer = {
    issuer,
    requests: { discovery: 0, jwks: 0, introspection: 0 },
    introspectionRequests: [],
    jwks: { keys: [] },
    jwksStatus: 200,
    discovery: {
      issuer,
      jwks_uri: `${issuer}/jwks`,
      introspection_endpoint: `${issuer}/token/introspection`,
    },
    introspect: () => ({ status: 200, body: { active: false } }),
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', issuer).pathname;
    if (req.method === 'GET' && path === '/.well-known/openid-configuration') {
      fake.requests.discovery += 1;
      if (typeof fake.discovery === 'number') return send(res, fake.discovery, { error: 'nope' });
      return send(res, 200, fake.discovery);
    }
    if (req.method === 'GET' && (path === '/jwks' || path === '/keys/custom-jwks')) {
      fake.requests.jwks += 1;
      return send(res, fake.jwksStatus, fake.jwksStatus === 200 ? fake.jwks : { error: 'server_error' });
    }
    if (req.method === 'POST' && path === '/token/introspection') {
      fake.requests.introspection += 1;
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      fake.introspectionRequests.push({ authorization: req.headers.authorization, contentType: req.headers['content-type'], form });
      const answer = fake.introspect(form);
      return send(res, answer.status, answer.body ?? {});
    }
    return send(res, 404, { error: 'not_found' });
  }

  return fake;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(body));
}
