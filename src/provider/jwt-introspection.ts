import { createLocalJWKSet, jwtVerify, type JWK } from 'jose';
import type { ClientRepository } from '../registry/clients.js';
import { isClientTokenCurrent } from './token-status.js';

export type IntrospectionResponse = { active: false } | ({ active: true } & Record<string, unknown>);

const INACTIVE: IntrospectionResponse = Object.freeze({ active: false });

/** Answers an RFC 7662 introspection request for one JWT access token. */
export type JwtIntrospector = (token: string) => Promise<IntrospectionResponse>;

/**
 * RFC 7662 introspection of the JWT access tokens Tollgate signs. The
 * provider does not store JWT access tokens and refuses to introspect them
 * (`unsupported_token_type`); Tollgate verifies them against its own
 * published keys instead and applies the same client rule as for opaque
 * tokens (client enabled, token version current).
 */
export function createJwtIntrospector(options: {
  issuer: string;
  publicJwks: readonly JWK[];
  algorithms: readonly string[];
  clients: ClientRepository;
}): JwtIntrospector {
  const keys = createLocalJWKSet({ keys: [...options.publicJwks] });
  return async function introspectJwt(token: string): Promise<IntrospectionResponse> {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: options.issuer,
        typ: 'at+jwt',
        algorithms: [...options.algorithms],
        requiredClaims: ['exp', 'iat', 'jti', 'client_id'],
      }));
    } catch {
      return INACTIVE;
    }
    if (!(await isClientTokenCurrent(options.clients, payload['client_id'], payload['token_version']))) return INACTIVE;
    const { token_version: _internal, ...claims } = payload;
    // A DPoP-bound token (RFC 9449 §6.2) shows its `cnf` and token type.
    const bound = typeof (claims['cnf'] as { jkt?: unknown } | undefined)?.jkt === 'string';
    return { ...claims, active: true, token_type: bound ? 'DPoP' : 'Bearer' };
  };
}
