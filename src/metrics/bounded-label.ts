/** The label value every id past the bound is counted under. */
export const OVERFLOW_LABEL = 'other';

/**
 * Maps ids to label values, keeping the first `limit` distinct ids as they
 * are and folding every later one into `other`. Each distinct label set is a
 * separate time series held in memory here and in Prometheus forever, so an
 * unbounded label (a registry with 100 000 clients, or a bug that labels by
 * something an attacker sends) would grow both without end. The first ids
 * seen are usually the busy ones, and `other` still keeps totals right.
 */
export function boundedLabel(limit: number): (id: string | undefined) => string {
  const kept = new Set<string>();
  return (id) => {
    if (id === undefined || id === '') return 'unknown';
    if (kept.has(id)) return id;
    if (kept.size >= limit) return OVERFLOW_LABEL;
    kept.add(id);
    return id;
  };
}
