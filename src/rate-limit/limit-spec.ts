/** A rate limit: at most `max` events per window of `durationMs`. */
export interface LimitSpec {
  readonly max: number;
  readonly durationMs: number;
}

const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1_000,
  sec: 1_000,
  second: 1_000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hour: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
};

const SPEC = /^(\d+)\s*\/\s*(\d*)\s*([a-z]+?)s?$/;

/**
 * Parses `300/min`, `10/min`, `1000/h`, `50/s` (also `100/15min`, `5000/day`)
 * into `{ max, durationMs }`. The error names `variable` so a bad setting
 * fails start-up with a message an operator can act on.
 *
 * @example parseLimitSpec('300/min', 'TOLLGATE_RATE_LIMIT_IP') // { max: 300, durationMs: 60000 }
 */
export function parseLimitSpec(value: string, variable: string): LimitSpec {
  const match = SPEC.exec(value.trim().toLowerCase());
  const unit = match ? UNIT_MS[match[3]!] : undefined;
  const max = match ? Number(match[1]) : 0;
  const multiplier = match?.[2] ? Number(match[2]) : 1;
  if (!match || unit === undefined || !Number.isSafeInteger(max) || max < 1 || multiplier < 1) {
    throw new Error(`${variable} must look like 300/min, 1000/h or 50/s (a positive count per s, min, h or day); got "${value}"`);
  }
  const durationMs = unit * multiplier;
  if (durationMs > 7 * UNIT_MS['day']!) throw new Error(`${variable} window must not exceed 7 days; got "${value}"`);
  return Object.freeze({ max, durationMs });
}

/** `{ max: 300, durationMs: 60000 }` → `300/60s`: for log lines and error descriptions. */
export function formatLimitSpec(spec: LimitSpec): string {
  return `${spec.max}/${spec.durationMs / 1000}s`;
}
