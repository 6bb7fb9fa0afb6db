import type Router from '@koa/router';
import type { RouterMiddleware } from '@koa/router';
import type { ParameterizedContext } from 'koa';
import type { Knex } from 'knex';
import type { Sealer } from '../../keys/seal.js';
import { invalidRequest, notFound } from '../errors.js';
import type { OwnRoutes } from '../http/own-routes.js';
import { isStorableText } from '../registry/input.js';
import { apiKeyRoutes } from './api-keys.js';
import { appClientRoutes } from './app-clients.js';
import { auditEventRoutes } from './audit-events.js';
import { authenticate, requireGlobal, type VerifyAccessToken } from './auth.js';
import { readJsonBody } from './body.js';
import { clientRoutes } from './clients.js';
import type { AdminServices } from './context.js';
import { IdempotencyStore } from './idempotency.js';
import { apiReference } from './api-reference.js';
import { openApiDocument } from './openapi.js';
import { resourceServerRoutes } from './resource-servers.js';
import type { CompiledRoute } from './route.js';
import { signingKeyRoutes } from './signing-keys.js';
import { tenantRoutes } from './tenants.js';
import { userRoutes } from './users.js';

export { ADMIN_AUDIENCE, ADMIN_SCOPE, TENANT_ADMIN_SCOPE, ensureAdminResource } from './audience.js';

const ADMIN_PREFIX = '/admin/v1';
const IDEMPOTENCY_SWEEP_MS = 3_600_000;

export interface AdminApiOptions extends AdminServices {
  readonly knex: Knex;
  readonly issuer: string;
  /** Seals stored idempotent responses (they may hold a secret shown once). */
  readonly sealer: Sealer;
  /** Checks a bearer token (ProviderHost.verifyAccessToken). */
  readonly verifyAccessToken: VerifyAccessToken;
  /** The hourly delete of expired idempotency keys failed (retried next hour). */
  readonly onSweepError?: (error: unknown) => void;
}

export interface AdminApi extends OwnRoutes {
  /** Every operation, as the router serves them and the OpenAPI document lists them. */
  readonly routes: readonly CompiledRoute[];
  stop(): void;
}

/** Every admin operation, one resource family per module. */
function adminRoutes(services: AdminServices): CompiledRoute[] {
  return [
    ...tenantRoutes(services),
    ...resourceServerRoutes(services),
    ...clientRoutes(services),
    ...appClientRoutes(services),
    ...userRoutes(services),
    ...apiKeyRoutes(services),
    ...signingKeyRoutes(services),
    ...auditEventRoutes(services),
  ];
}

const isEmptyObject = (value: unknown) => value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0;

function decodeParameter(value: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(value);
  } catch {
    throw notFound('no such object');
  }
  // No stored id holds a NUL, and PostgreSQL refuses one in a query (a 500).
  if (!isStorableText(decoded)) throw notFound('no such object');
  return decoded;
}

/** Query-parameter patterns compiled once (routes share a handful), not per request. */
const queryPatterns = new Map<string, RegExp>();
const queryPattern = (source: string) => queryPatterns.get(source) ?? queryPatterns.set(source, new RegExp(source)).get(source)!;

/** Query parameters: only the route's names, each matching its pattern, given once. */
function readQuery(ctx: ParameterizedContext, route: CompiledRoute): Record<string, string | undefined> {
  const query: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(ctx.query)) {
    const parameter = route.query?.[name];
    if (!parameter) throw invalidRequest(`${name} is not a recognised query parameter`);
    if (typeof value !== 'string' || value.length > parameter.maxLength || !queryPattern(parameter.pattern).test(value)) {
      throw invalidRequest(`${name} is invalid`);
    }
    query[name] = value;
  }
  return query;
}

/**
 * The admin REST API under /admin/v1: JSON in and out, bearer tokens from
 * Tollgate itself. Mounted before the provider; everything else passes by.
 */
export function createAdminApi(options: AdminApiOptions): AdminApi {
  const routes = adminRoutes(options);
  const idempotency = new IdempotencyStore(options.knex, options.sealer);
  const document = JSON.stringify(openApiDocument(routes, options.issuer));
  const reference = apiReference({ prefix: ADMIN_PREFIX, issuer: options.issuer });
  const sweeper = setInterval(() => void idempotency.sweep().catch((error: unknown) => options.onSweepError?.(error)), IDEMPOTENCY_SWEEP_MS);
  sweeper.unref();

  /** One operation: the router matched its method and path; `captures` are the path's parameters as sent. */
  const operation = (route: CompiledRoute): RouterMiddleware => async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const caller = await authenticate(ctx, options.verifyAccessToken);
    if (route.access === 'admin') requireGlobal(ctx, caller);

    const values = (ctx.captures ?? []).map(decodeParameter);
    const params = Object.fromEntries(route.parameterNames.map((name, index) => [name, values[index]!]));
    const query = readQuery(ctx, route);
    const raw = route.method === 'GET' ? {} : await readJsonBody(ctx);
    if (!route.validateBody && !isEmptyObject(raw)) throw invalidRequest('this operation takes no request body');
    const body = route.validateBody ? route.validateBody(raw) : {};

    const run = async () => ({ status: route.status, body: await route.handle({ ctx, caller, params, query, body }) });
    const key = route.idempotent ? ctx.get('idempotency-key') : '';
    const answer = key
      ? await idempotency.run({ caller: caller.clientId, route: `${route.method} ${route.path}`, key }, raw, run)
      : { ...(await run()), replayed: false };
    if (answer.replayed) ctx.set('Idempotent-Replayed', 'true');
    ctx.status = answer.status;
    ctx.body = answer.body;
  };

  function register(router: Router): void {
    router.get(`${ADMIN_PREFIX}/openapi.json`, (ctx) => {
      ctx.type = 'application/json';
      ctx.body = document;
    });
    router.get([ADMIN_PREFIX, `${ADMIN_PREFIX}/`, `${ADMIN_PREFIX}/docs`], (ctx) => {
      ctx.set('Content-Security-Policy', reference.policy);
      // Revalidated, so a new version's asset URLs are picked up at once.
      ctx.set('Cache-Control', 'no-cache');
      ctx.type = 'text/html; charset=utf-8';
      ctx.body = reference.page;
    });
    for (const [path, asset] of reference.assets) {
      router.get(`${ADMIN_PREFIX}${path}`, async (ctx) => {
        const body = await asset.load();
        ctx.set('Cache-Control', 'public, max-age=31536000, immutable');
        ctx.set('X-Content-Type-Options', 'nosniff');
        ctx.type = asset.type;
        ctx.body = body;
      });
    }
    for (const route of routes) router.register(`${ADMIN_PREFIX}${route.routerPath}`, [route.method], operation(route));
  }

  return { register, owns: { prefix: ADMIN_PREFIX, notFound: 'no such admin endpoint' }, routes, stop: () => clearInterval(sweeper) };
}
