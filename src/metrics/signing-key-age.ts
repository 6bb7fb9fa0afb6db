import { Gauge, type Registry } from 'prom-client';
import type { KeyInfo } from '../../keys/key-store.js';

/** What the gauge needs from the key store (keys/key-store.ts). */
export interface SigningKeyList {
  list(): Promise<Pick<KeyInfo, 'kid' | 'state' | 'createdAt' | 'activatedAt'>[]>;
}

export interface SigningKeyAgeOptions {
  readonly registry: Registry;
  readonly keys: SigningKeyList;
  /** Re-read the key table at most this often; scrapes in between reuse the last answer. */
  readonly refreshMs?: number;
  /** How long a scrape waits for the key table before answering with what it has. */
  readonly timeoutMs?: number;
  /** Epoch milliseconds (tests). */
  readonly clock?: () => number;
  /** Told when the key table could not be read; the gauge keeps its last known value. */
  readonly onError?: (error: unknown) => void;
}

/**
 * `tollgate_signing_key_age_seconds{kid}`: how long the active key has been
 * signing, for an alert when rotation stops happening. The `kid` (public, in
 * /jwks) says which key; there is one active key, so one series. It caches when the
 * active key started, not the age, so a scrape during a database outage
 * still reports a correct age (unless a rotation happened meanwhile), and a
 * slow or failing database never fails or stalls /metrics.
 */
export function registerSigningKeyAge({ registry, keys, refreshMs = 5_000, timeoutMs = 1_000, clock = Date.now, onError }: SigningKeyAgeOptions): void {
  let active: { kid: string; since: number } | undefined;
  let readAt = -Infinity;
  let reading: Promise<void> | undefined;

  const refresh = () =>
    (reading ??= keys
      .list()
      .then((list) => {
        const key = list.find((candidate) => candidate.state === 'active');
        active = key ? { kid: key.kid, since: key.activatedAt ?? key.createdAt } : undefined;
      })
      .catch((error: unknown) => onError?.(error))
      .finally(() => {
        readAt = clock();
        reading = undefined;
      }));

  new Gauge({
    name: 'tollgate_signing_key_age_seconds',
    help: 'Seconds since the active signing key began signing',
    labelNames: ['kid'] as const,
    registers: [registry],
    async collect() {
      if (clock() - readAt >= refreshMs) {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, timeoutMs);
        });
        await Promise.race([refresh(), timeout]);
        clearTimeout(timer);
      }
      // Drops the series of a key rotated away; with no active key known
      // yet there is no series at all rather than a misleading 0.
      this.reset();
      if (active) this.set({ kid: active.kid }, Math.max(0, (clock() - active.since) / 1000));
    },
  });
}
