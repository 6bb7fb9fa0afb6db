import { isIP } from 'node:net';
import { invalidRequest } from '../errors.js';
import { SCOPE_TOKEN } from './input.js';
import type { ResourceRepository } from './resources.js';

/** How a client proves who it is at the token endpoint. */
export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'private_key_jwt'] as const;
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];

/** A client's public keys (RFC 7517), as registered. */
export interface ClientJwks {
  keys: Record<string, unknown>[];
}

/** What a client may obtain by token exchange (RFC 8693). */
export interface TokenExchangePolicy {
  /** Resource servers (audiences) it may exchange a token for. */
  audiences: string[];
  /** Scopes an exchanged token may carry (each must also be offered by the audience). */
  scopes: string[];
}

/** Caps that keep a registered key set small: it is read on every assertion. */
const MAX_KEYS = 10;
const MAX_JWKS_BYTES = 32 * 1024;
/** Members that only a private or symmetric key has; a JWKS that holds one leaks a secret. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];

/** C0 and C1 control characters (NUL among them): never part of a key, and a NUL cannot be stored in PostgreSQL text. */
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

/** A member name or string value, at any depth (`x5c` and `key_ops` are arrays), that holds a control character. */
function memberWithControlCharacter(value: unknown, name = ''): string | undefined {
  if (typeof value === 'string') return CONTROL_CHARACTER.test(value) ? name : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, member] of Object.entries(value)) {
    if (CONTROL_CHARACTER.test(key)) return JSON.stringify(key);
    const found = memberWithControlCharacter(member, name ? `${name}.${key}` : key);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * A client's JWKS: public asymmetric keys only (EC, RSA, OKP), each with a
 * `kid`, at most ten. A private or symmetric key is refused so a pasted
 * private JWK cannot be stored by mistake.
 */
function checkClientJwks(jwks: ClientJwks): void {
  if (JSON.stringify(jwks).length > MAX_JWKS_BYTES) throw invalidRequest(`jwks is larger than ${MAX_JWKS_BYTES} bytes`);
  if (!jwks.keys.length || jwks.keys.length > MAX_KEYS) throw invalidRequest(`jwks must hold between 1 and ${MAX_KEYS} keys`);
  for (const key of jwks.keys) {
    const controlled = memberWithControlCharacter(key);
    if (controlled !== undefined) throw invalidRequest(`jwks key member ${controlled} holds a control character`);
    if (!['EC', 'RSA', 'OKP'].includes(String(key['kty']))) throw invalidRequest('jwks keys must be EC, RSA or OKP public keys');
    if (PRIVATE_MEMBERS.some((member) => member in key)) throw invalidRequest('jwks must hold public keys only (a private or symmetric key was given)');
    if (key['use'] !== undefined && key['use'] !== 'sig') throw invalidRequest('jwks keys must be signing keys (use "sig")');
  }
}

/**
 * A `jwks_uri` is https, or http on a loopback address (development and
 * tests); the provider fetches it with a timeout, a size cap and caching.
 */
function checkJwksUri(value: string): void {
  const url = URL.canParse(value) ? new URL(value) : undefined;
  const host = url?.hostname.replace(/^\[|\]$/g, '');
  const loopback = host === 'localhost' || (host !== undefined && isIP(host) !== 0 && (host.startsWith('127.') || host === '::1'));
  if (!url || url.username || url.password || url.hash || !(url.protocol === 'https:' || (url.protocol === 'http:' && loopback))) {
    throw invalidRequest('jwks_uri must be an https URL (http only on a loopback address)');
  }
}

/**
 * The credential fields of a new client, checked together: a private_key_jwt
 * client registers exactly one of `jwks` and `jwks_uri`; a secret client
 * registers neither.
 */
export function checkClientCredentialChoice(input: { token_endpoint_auth_method?: ClientAuthMethod; jwks?: ClientJwks; jwks_uri?: string }): ClientAuthMethod {
  const method = input.token_endpoint_auth_method ?? 'client_secret_basic';
  const keySources = [input.jwks, input.jwks_uri].filter((source) => source !== undefined).length;
  if (method === 'private_key_jwt' && keySources !== 1) throw invalidRequest('a private_key_jwt client needs exactly one of jwks and jwks_uri');
  if (method !== 'private_key_jwt' && keySources !== 0) throw invalidRequest('jwks and jwks_uri are only for private_key_jwt clients');
  if (input.jwks) checkClientJwks(input.jwks);
  if (input.jwks_uri !== undefined) checkJwksUri(input.jwks_uri);
  return method;
}

/** The create-client schema properties of these fields (merged into clients.ts's). */
export const CLIENT_PROOF_SCHEMA = {
  token_endpoint_auth_method: { type: 'string', enum: [...CLIENT_AUTH_METHODS], nullable: true },
  jwks: {
    type: 'object',
    properties: { keys: { type: 'array', items: { type: 'object', required: [] }, maxItems: MAX_KEYS } },
    required: ['keys'],
    nullable: true,
  },
  jwks_uri: { type: 'string', minLength: 1, maxLength: 2000, nullable: true },
  dpop_bound_access_tokens: { type: 'boolean', nullable: true },
  token_exchange: {
    type: 'object',
    properties: {
      audiences: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 2000 }, minItems: 1, uniqueItems: true, maxItems: 50 },
      scopes: { type: 'array', items: { type: 'string', pattern: SCOPE_TOKEN }, uniqueItems: true, maxItems: 200 },
    },
    required: ['audiences', 'scopes'],
    additionalProperties: false,
    nullable: true,
  },
} as const;

/** A token-exchange policy names registered resource servers, and only scopes they offer. */
export async function checkTokenExchangePolicy(policy: TokenExchangePolicy, tenantId: string, resources: ResourceRepository): Promise<void> {
  await resources.checkGrant(tenantId, policy, { audience: 'token_exchange audience', scope: 'token_exchange scope' });
}
