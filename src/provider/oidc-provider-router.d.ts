/**
 * oidc-provider keeps its router in the per-instance state its `weak_cache`
 * helper reads; the package has no `exports` map, so the helper is imported
 * by path. `endpoints.ts` checks at start-up that the router is there and
 * answers `match`, and fails with one line naming the version if not.
 */
declare module 'oidc-provider/lib/helpers/weak_cache.js' {
  export default function instance(provider: object): { router?: unknown } | undefined;
}
