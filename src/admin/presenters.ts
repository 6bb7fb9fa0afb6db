import type { ApiKeyView, IssuedApiKey } from '../api-keys/index.js';

/** `tokenQuota` → `token_quota`, at the type level. */
type SnakeCase<S extends string> = S extends `${infer Head}${infer Tail}`
  ? `${Head extends Lowercase<Head> ? Head : `_${Lowercase<Head>}`}${SnakeCase<Tail>}`
  : S;

export type SnakeCased<T> = { [K in keyof T as K extends string ? SnakeCase<K> : K]: T[K] };

/**
 * An object with its own keys in the OAuth spelling, snake_case, the one
 * convention of the admin API's JSON; nested values (a JWKS, an audit
 * event's detail) are kept as they are.
 */
export function snakeCased<T extends object>(value: T): SnakeCased<T> {
  const entries = Object.entries(value).map(([key, field]) => [key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`), field] as const);
  // The mapped type above is what this renaming does; TypeScript cannot follow a key rename through Object.fromEntries.
  return Object.fromEntries(entries) as SnakeCased<T>;
}

/** A created client or a rotated secret: the secret only in this answer (none for a private_key_jwt or public client). */
export function withSecret<Client extends { clientId: string }>({ client, clientSecret }: { client: Client; clientSecret: string | undefined }) {
  // The id first, then the secret: what a person copies from the answer.
  const { client_id, ...rest } = snakeCased(client);
  return { client_id, ...(clientSecret === undefined ? {} : { client_secret: clientSecret }), ...rest };
}

/** An issued API key: the key is in this answer and nowhere else, ever. */
export const issuedKey = ({ apiKey, key }: IssuedApiKey) => ({ key, ...snakeCased(apiKey) });

export const apiKeyOf = (view: ApiKeyView) => snakeCased(view);

