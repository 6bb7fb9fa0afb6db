import { readFileSync } from 'node:fs';
import { invalidRequest } from '../errors.js';
import type { CreateClientInput } from '../registry/clients.js';
import { CLIENT_AUTH_METHODS, type ClientAuthMethod, type ClientJwks } from '../registry/client-proof.js';
import { splitList } from '../registry/input.js';

/** The `clients create` options of stronger credentials, as parseArgs returns them. */
export interface ClientProofValues {
  auth?: string | undefined;
  'jwks-uri'?: string | undefined;
  'jwks-file'?: string | undefined;
  'dpop-bound'?: boolean | undefined;
  'exchange-audience'?: string[] | undefined;
  'exchange-scope'?: string | undefined;
}

/**
 * `--auth private_key_jwt` with `--jwks-uri <url>` or `--jwks-file <path>`
 * (a JWKS JSON file of public keys), `--dpop-bound`, and a token-exchange
 * policy from `--exchange-audience <uri>` (repeatable) and
 * `--exchange-scope "<s1> <s2>"`. The registry validates the values.
 */
export function clientProofInput(values: ClientProofValues): Partial<CreateClientInput> {
  const input: Partial<CreateClientInput> = {};
  if (values.auth !== undefined) {
    if (!(CLIENT_AUTH_METHODS as readonly string[]).includes(values.auth)) throw invalidRequest(`--auth must be one of ${CLIENT_AUTH_METHODS.join(', ')}`);
    input.token_endpoint_auth_method = values.auth as ClientAuthMethod;
  }
  if (values['jwks-uri'] !== undefined) input.jwks_uri = values['jwks-uri'];
  if (values['jwks-file'] !== undefined) input.jwks = readJwksFile(values['jwks-file']);
  if (values['dpop-bound']) input.dpop_bound_access_tokens = true;
  const audiences = (values['exchange-audience'] ?? []).flatMap(splitList);
  if (audiences.length) input.token_exchange = { audiences, scopes: splitList(values['exchange-scope']) };
  else if (values['exchange-scope'] !== undefined) throw invalidRequest('--exchange-scope needs --exchange-audience');
  return input;
}

function readJwksFile(path: string): ClientJwks {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw invalidRequest(`--jwks-file ${path} cannot be read`);
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    // A single JWK is accepted as a one-key set.
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed) && !('keys' in parsed)) return { keys: [parsed as Record<string, unknown>] };
    return parsed as ClientJwks;
  } catch {
    throw invalidRequest(`--jwks-file ${path} is not JSON`);
  }
}
