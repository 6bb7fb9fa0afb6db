import { collectDefaultMetrics, Registry } from 'prom-client';

let processRegistry: Registry | undefined;

/**
 * Node's standard process metrics (CPU, memory, event-loop lag, GC), under
 * their usual unprefixed names so stock dashboards work. They describe the
 * process, not a server instance, so there is one registry per process:
 * collecting them again for every server a test starts would add an
 * event-loop monitor each time, and prom-client cannot stop one.
 */
export function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}
