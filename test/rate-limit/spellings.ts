/** The paths of oidc-provider's endpoints that authenticate a client, as Tollgate configures it. */
export const CLIENT_ENDPOINT_PATHS = ['/token', '/token/introspection', '/token/revocation', '/request'] as const;

/**
 * Every spelling of `path` oidc-provider's router dispatches to the same
 * endpoint: any letter case (lower, upper, each segment capitalised) and
 * one trailing slash.
 */
export function routedSpellings(path: string): string[] {
  const capitalised = path.replace(/\/([a-z])/g, (_, letter: string) => `/${letter.toUpperCase()}`);
  const cases = [path, path.toUpperCase(), capitalised];
  return [...cases, ...cases.map((spelling) => `${spelling}/`)];
}

/**
 * Spellings a lenient proxy might treat as `path` but oidc-provider's router
 * does not route (no percent-decoding, no collapsing of slashes): they must
 * never reach client authentication.
 */
export function unroutedSpellings(path: string): string[] {
  const encodedFirst = `/%${path.charCodeAt(1).toString(16)}${path.slice(2)}`;
  const encodedSlashes = `/${path.slice(1).replace(/\//g, '%2F')}`;
  return [`/${path}`, `${path}//`, encodedFirst, ...(encodedSlashes === path ? [] : [encodedSlashes])];
}
