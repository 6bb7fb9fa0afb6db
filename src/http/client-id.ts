/** Longer ids are not Tollgate's; counting them would only store attacker-chosen keys. */
const MAX_CLIENT_ID_LENGTH = 256;

/**
 * The client id a request authenticates as, read cheaply before the provider
 * runs: from `Authorization: Basic` only (client_secret_basic; the id is
 * form-urlencoded inside the base64, RFC 6749 §2.3.1, decoded the way
 * oidc-provider decodes it). Undefined when there is none.
 *
 * Form bodies are deliberately not read: the provider parses the body
 * stream itself and warns when something upstream already did, and a
 * client_id in the query string is not the one the provider authenticates
 * for a POST, so counting it would charge failures to whatever id a caller
 * writes there. client_secret_post attempts are therefore limited per
 * address only.
 *
 * @example clientIdOf({ get: () => 'Basic ' + btoa('billing%2Djob:secret') }) // 'billing-job'
 */
export function clientIdOf(ctx: { get(field: string): string }): string | undefined {
  return clientIdOfAuthorization(ctx.get('authorization'));
}

/** `clientIdOf` for an `Authorization` header value already read. */
export function clientIdOfAuthorization(authorization: string): string | undefined {
  const match = /^basic +([A-Za-z0-9+/]+={0,2})$/i.exec(authorization.trim());
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  try {
    const clientId = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, '%20'));
    return clientId.length <= MAX_CLIENT_ID_LENGTH ? clientId : undefined;
  } catch {
    return undefined;
  }
}
