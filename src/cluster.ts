import cluster, { type Worker } from 'node:cluster';
import type { Config } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { prepareStorage } from './lifecycle/prepare-storage.js';
import { openKeyBackend } from './keys/backend.js';
import { openDatabaseAtStart } from './lifecycle/wait-for-database.js';

/** Names the worker that answered, in cluster mode only: shows how requests spread behind one port. */
export const WORKER_HEADER = 'X-Tollgate-Worker';

/** A worker that lived this long was healthy: the next restart waits the shortest delay again. */
const HEALTHY_AFTER_MS = 30_000;
const FIRST_RESTART_DELAY_MS = 500;
const MAX_RESTART_DELAY_MS = 30_000;
/**
 * Past a worker's own deadline (TOLLGATE_SHUTDOWN_TIMEOUT), the time it has
 * to write its audit queue and close the database before the primary kills it.
 */
const SHUTDOWN_MARGIN_MS = 5_000;

/**
 * How long to wait before replacing a worker that died: doubling while
 * workers keep dying young (a crash loop must not spin the CPU or flood the
 * database with connections), back to the shortest delay after a healthy run.
 */
export function restartDelayMs(previousDelayMs: number | undefined, livedMs: number): number {
  if (previousDelayMs === undefined || livedMs >= HEALTHY_AFTER_MS) return FIRST_RESTART_DELAY_MS;
  return Math.min(previousDelayMs * 2, MAX_RESTART_DELAY_MS);
}

/**
 * Shuts down on the first SIGTERM or SIGINT and exits: 0 when everything
 * closed, 1 otherwise. Later signals are ignored, not fatal: a drain in
 * progress is never cut short by a repeated signal.
 */
export function closeOnSignals(shutdown: () => Promise<void>, logger: Logger): void {
  let started = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (started) return;
    started = true;
    logger.info('shutting down: draining connections', { signal });
    shutdown().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error('shutdown failed', { error: (error as Error)?.message });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/**
 * `tollgate serve --workers N`: N processes accept on one port (node:cluster
 * shares the listening socket). The primary prepares the database once, forks,
 * replaces workers that die, and on SIGTERM/SIGINT stops them all gracefully.
 * Every worker is a complete instance: what must be shared between them is
 * already shared between separate servers (PostgreSQL, and Redis when set).
 */
export async function serveCluster(config: Config): Promise<void> {
  return cluster.isPrimary ? runPrimary(config) : runWorker(config, cluster.worker!.id);
}

async function runWorker(config: Config, id: number): Promise<void> {
  const logger = createLogger(config.logLevel, undefined, { worker: id });
  const { startTollgate } = await import('./main.js');
  let running: Awaited<ReturnType<typeof startTollgate>>;
  try {
    running = await startTollgate(config, { logger });
  } catch (error) {
    // Exit explicitly: the IPC channel to the primary would keep this process alive.
    logger.error('worker failed to start', { error: (error as Error)?.message });
    process.exit(1);
  }
  // Before Koa's listener, so the header is set whatever Koa answers.
  running.server.prependListener('request', (_request, response) => response.setHeader(WORKER_HEADER, String(id)));
  closeOnSignals(() => running.shutdown(), logger);
}

async function runPrimary(config: Config): Promise<void> {
  const logger = createLogger(config.logLevel, undefined, { role: 'primary' });
  const database = await openDatabaseAtStart(config, logger);
  try {
    // The first keys are made where the workers will sign with them.
    const keyBackend = await openKeyBackend(config, logger);
    try {
      await prepareStorage(database, config, logger, undefined, keyBackend);
    } finally {
      await keyBackend.close();
    }
  } finally {
    await database.close();
  }
  if (config.rateLimits.enabled && !config.redisUrl) {
    logger.warn('REDIS_URL is not set: each worker counts rate limits on its own, so a limit admits up to workers × its count', {
      workers: config.workers,
    });
  }

  const startedAt = new Map<Worker, number>();
  /** Workers that have listened: only these can have answered a request, so only their exit code decides the stop's. */
  const served = new WeakSet<Worker>();
  const restarts = new Set<NodeJS.Timeout>();
  /** Workers that started listening; only the first `config.workers` of them decide readiness. */
  let listening = 0;
  let ready = false;
  let lastDelayMs: number | undefined;
  let stopping: { code: number } | undefined;
  const graceMs = config.shutdownTimeoutSeconds * 1000 + SHUTDOWN_MARGIN_MS;

  const fork = () => startedAt.set(cluster.fork(), Date.now());
  const stop = (code: number) => {
    if (stopping) return;
    stopping = { code };
    restarts.forEach(clearTimeout);
    if (!startedAt.size) process.exit(code);
    logger.info('stopping workers', { workers: startedAt.size });
    for (const worker of startedAt.keys()) worker.process.kill('SIGTERM');
    setTimeout(() => {
      logger.error('workers did not stop in time: killing them', { workers: startedAt.size, graceMs });
      for (const worker of startedAt.keys()) worker.process.kill('SIGKILL');
      process.exit(1);
    }, graceMs).unref();
  };

  cluster.on('listening', (worker, address) => {
    logger.info('worker listening', { worker: worker.id, pid: worker.process.pid, port: address.port });
    listening += 1;
    served.add(worker);
    if (!ready && listening === config.workers) {
      ready = true;
      logger.info('cluster ready', { workers: config.workers, port: address.port });
    }
  });
  cluster.on('exit', (worker, code, signal) => {
    const livedMs = Date.now() - (startedAt.get(worker) ?? Date.now());
    startedAt.delete(worker);
    if (stopping) {
      // A worker that served and did not drain cleanly (killed, or failed to close) makes the whole stop a failure;
      // one still starting simply ends on the signal.
      if (code !== 0 && served.has(worker)) stopping.code = 1;
      if (!startedAt.size) {
        logger.info('stopped', { code: stopping.code });
        process.exit(stopping.code);
      }
      return;
    }
    // Until the first N workers have listened, an exit is a start-up failure
    // (a taken port, a bad setting): restarting would only repeat it.
    if (!ready) {
      logger.error('a worker failed to start: stopping', { worker: worker.id, code, signal });
      stop(1);
      return;
    }
    lastDelayMs = restartDelayMs(lastDelayMs, livedMs);
    logger.error('worker died: replacing it', { worker: worker.id, code, signal, livedMs, restartInMs: lastDelayMs });
    const timer = setTimeout(() => {
      restarts.delete(timer);
      fork();
    }, lastDelayMs);
    restarts.add(timer);
  });

  // `on`, not `once`: a second signal must not kill the primary and orphan its workers.
  const onSignal = (signal: NodeJS.Signals) => {
    if (!stopping) logger.info('shutting down: forwarding the signal to every worker', { signal });
    stop(0);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  for (let i = 0; i < config.workers; i += 1) fork();
}
