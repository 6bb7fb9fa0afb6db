import { isJsonObject, requestJson } from './http.js';
import type { IntrospectionConfig } from './options.js';

/** The introspection endpoint could not give an answer (network, timeout, non-200, not JSON). */
export class IntrospectionUnavailable extends Error {}

/**
 * Asks the authorization server about an API key: a form POST with
 * `token_type_hint=api_key`, authenticated with client_secret_basic. Returns
 * the response object (with a boolean `active`), or throws
 * {@link IntrospectionUnavailable}.
 *
 * @see RFC 7662 sections 2.1 and 2.2, RFC 6749 section 2.3.1
 */
export async function introspect(endpoint: URL, apiKey: string, config: IntrospectionConfig, timeoutMs: number): Promise<Record<string, unknown>> {
  let answer;
  try {
    answer = await requestJson(endpoint, {
      method: 'POST',
      headers: {
        accept: 'application/json',
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basicAuthorization(config.clientId, config.clientSecret),
      },
      body: new URLSearchParams({ token: apiKey, token_type_hint: 'api_key' }).toString(),
    }, timeoutMs);
  } catch (cause) {
    throw new IntrospectionUnavailable('introspection request failed', { cause });
  }
  if (answer.status !== 200) throw new IntrospectionUnavailable(`introspection answered HTTP ${answer.status}`);
  if (!isJsonObject(answer.body) || typeof answer.body.active !== 'boolean') {
    throw new IntrospectionUnavailable('introspection answered without a boolean active member');
  }
  return answer.body;
}

/** RFC 6749 section 2.3.1: each part form-urlencoded, then base64 of `id:secret`. */
function basicAuthorization(clientId: string, clientSecret: string): string {
  const encode = (value: string): string => new URLSearchParams({ v: value }).toString().slice(2);
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`;
}
