import type { Knex } from 'knex';
import type { Middleware } from 'koa';
import { Registry } from 'prom-client';
import type { EndpointOutcomeListener } from '../provider/endpoint-outcome.js';
import { registerDatabasePool } from './db-pool.js';
import { metricsEndpoint } from './endpoint.js';
import { createOutcomeCounters } from './outcome-counters.js';
import { processMetrics } from './process-metrics.js';
import { createRequestMetrics, type EndpointLabelOf } from './request-metrics.js';
import { registerSigningKeyAge, type SigningKeyList } from './signing-key-age.js';

export { boundedLabel, OVERFLOW_LABEL } from './bounded-label.js';
export { KNOWN_ROUTES, methodLabel, routeLabel } from './route-label.js';
export type { EndpointLabelOf } from './request-metrics.js';
export { METRICS_PATH } from './endpoint.js';

/** Distinct client ids labelled as themselves; later ones count as `other` (see bounded-label.ts). */
export const DEFAULT_MAX_CLIENT_LABELS = 1_000;

export interface MetricsOptions {
  readonly knex: Knex;
  readonly keys: SigningKeyList;
  /** When set, GET /metrics requires `Authorization: Bearer <token>`. */
  readonly token?: string | undefined;
  readonly maxClientLabels?: number;
  /** Epoch milliseconds (tests). */
  readonly clock?: () => number;
  /** Told when a collector could not read its source; /metrics still answers. */
  readonly onCollectError?: (error: unknown) => void;
  /** Include Node's process metrics (default true). */
  readonly processMetrics?: boolean;
}

export interface Metrics {
  /** This server's own registry: never the global one, so servers in one process do not share counts. */
  readonly registry: Registry;
  /** Answers GET /metrics; passes everything else on. */
  readonly endpoint: Middleware;
  /** Times every request and counts 429s, labelling the provider's endpoints with `endpointLabelOf`; mount outermost. */
  requestMetrics(endpointLabelOf: EndpointLabelOf): Middleware;
  /** Pass to ProviderHost as `onEndpointOutcome`. */
  readonly onEndpointOutcome: EndpointOutcomeListener;
}

/**
 * Prometheus metrics for one server.
 *
 * @example
 * const metrics = createMetrics({ knex: database.knex, keys: keyStore, token: config.metrics.token });
 * const host = await ProviderHost.create({ ...deps, onEndpointOutcome: metrics.onEndpointOutcome }, keyStore);
 * createApp({ ...deps, requestMetrics: metrics.requestMetrics(host.metricsLabelOf), metricsEndpoint: metrics.endpoint });
 */
export function createMetrics(options: MetricsOptions): Metrics {
  const registry = new Registry();
  const onEndpointOutcome = createOutcomeCounters({ registry, maxClientLabels: options.maxClientLabels ?? DEFAULT_MAX_CLIENT_LABELS });
  registerSigningKeyAge({
    registry,
    keys: options.keys,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.onCollectError ? { onError: options.onCollectError } : {}),
  });
  registerDatabasePool(registry, options.knex);
  const registries = options.processMetrics === false ? [registry] : [registry, processMetrics()];
  return {
    registry,
    endpoint: metricsEndpoint(registries, options.token),
    requestMetrics: (endpointLabelOf) => createRequestMetrics(registry, endpointLabelOf),
    onEndpointOutcome,
  };
}
