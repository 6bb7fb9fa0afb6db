/**
 * Tollgate's own paths that get a `route` label of their own; the
 * provider's endpoints are labelled by the route they reach (see
 * `metricsLabelOfRoute` in provider/endpoints.ts). Anything else is
 * `other`: paths come from whoever sends the request, and a label per path
 * would let a scanner create a time series per URL it tries.
 */
export const KNOWN_ROUTES: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

/** Methods labelled as themselves; Node's parser accepts ~35 others, folded into `other` for the same reason. */
const KNOWN_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** `/healthz` → `/healthz`; `/anything-else` → `other`. */
export const routeLabel = (path: string): string => (KNOWN_ROUTES.has(path) ? path : 'other');

/** `POST` → `POST`; `PROPFIND` → `other`. */
export const methodLabel = (method: string): string => (KNOWN_METHODS.has(method) ? method : 'other');
