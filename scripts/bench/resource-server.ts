/**
 * @tollgate/resource-server against its ceiling, in one process: verify() of
 * an access token vs raw jose.jwtVerify with a local key set (same token,
 * same checks), and verify() of an API key with a warm introspection cache.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { createVerifier } from '@tollgate/resource-server';

const AUDIENCE = 'https://api.bench.test';

async function opsPerSecond(seconds: number, operation: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 500; i += 1) await operation(); // warm-up
  let count = 0;
  const deadline = performance.now() + seconds * 1000;
  while (performance.now() < deadline) {
    for (let i = 0; i < 100; i += 1) await operation();
    count += 100;
  }
  return Math.round(count / seconds);
}

export interface ResourceServerBench {
  verifyOpsPerSecond: number;
  joseOpsPerSecond: number;
  apiKeyCachedOpsPerSecond: number;
}

export async function benchResourceServer(seconds: number): Promise<ResourceServerBench> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'ES256', use: 'sig' };
  let issuer = '';
  const server: Server = createServer((request, response) => {
    response.setHeader('content-type', 'application/json');
    if (request.url === '/.well-known/openid-configuration') {
      response.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks`, introspection_endpoint: `${issuer}/token/introspection` }));
    } else if (request.url === '/jwks') {
      response.end(JSON.stringify({ keys: [jwk] }));
    } else {
      response.end(JSON.stringify({ active: true, token_type: 'api_key', sub: 'key-1', tenant_id: 't1', tenant: 'bench', scope: 'read', exp: Math.floor(Date.now() / 1000) + 3600 }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ client_id: 'c1', scope: 'read', tenant_id: 't1', tenant: 'bench', roles: ['r'] })
      .setProtectedHeader({ alg: 'ES256', kid: 'bench', typ: 'at+jwt' })
      .setIssuer(issuer).setAudience(AUDIENCE).setSubject('c1').setJti('j1').setIssuedAt(now).setExpirationTime(now + 3600)
      .sign(privateKey);
    const verifier = createVerifier({ issuer, audience: AUDIENCE, introspection: { clientId: 'rs', clientSecret: 'secret' } });
    const authorization = `Bearer ${token}`;
    const localKeys = createLocalJWKSet({ keys: [jwk] });
    const apiKey = `tg_live_${'A'.repeat(22)}_${'B'.repeat(49)}`;

    return {
      verifyOpsPerSecond: await opsPerSecond(seconds, () => verifier.verify({ authorization })),
      joseOpsPerSecond: await opsPerSecond(seconds, () =>
        jwtVerify(token, localKeys, { issuer, audience: AUDIENCE, typ: 'at+jwt', algorithms: ['ES256'], requiredClaims: ['exp', 'iat', 'sub', 'jti', 'client_id'] }),
      ),
      apiKeyCachedOpsPerSecond: await opsPerSecond(seconds, () => verifier.verify({ apiKey })),
    };
  } finally {
    server.close();
  }
}
