/**
 * One-sided Mann–Whitney U test: the probability, if `sample` and
 * `reference` came from one distribution, of `sample` ranking at least as
 * low against `reference` as it did (its values mostly smaller). Exact (no
 * normal approximation), from the count of orderings per U, for the small
 * samples a timing test can afford; a tie counts half.
 */
export function probabilityAtLeastAsFast(sample: readonly number[], reference: readonly number[]): number {
  let u = 0;
  for (const value of sample) for (const other of reference) u += value > other ? 1 : value === other ? 0.5 : 0;
  const n = sample.length;
  const m = reference.length;
  // orderings[i][j][k]: orderings of i sample and j reference values with U = k.
  const orderings: number[][][] = Array.from({ length: n + 1 }, () => Array.from({ length: m + 1 }, () => [] as number[]));
  for (let i = 0; i <= n; i += 1) {
    for (let j = 0; j <= m; j += 1) {
      const counts = new Array<number>(i * j + 1).fill(0);
      if (i === 0 || j === 0) counts[0] = 1;
      else {
        // The largest value is a sample one (it beats all j references) or a reference one.
        orderings[i - 1]![j]!.forEach((count, k) => (counts[k + j]! += count));
        orderings[i]![j - 1]!.forEach((count, k) => (counts[k]! += count));
      }
      orderings[i]![j] = counts;
    }
  }
  const all = orderings[n]![m]!;
  const total = all.reduce((sum, count) => sum + count, 0);
  const atMost = all.slice(0, Math.floor(u) + 1).reduce((sum, count) => sum + count, 0);
  return atMost / total;
}

export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
