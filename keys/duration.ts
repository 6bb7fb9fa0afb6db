const UNITS = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['min', 60_000],
  ['s', 1_000],
] as const;

/**
 * A span of time as an operator reads it, to the second, largest units first
 * and at most two of them: `3 s`, `59 min 57 s`, `2 h 5 min`, `under 1 s`.
 */
export function humanDuration(ms: number): string {
  let rest = Math.max(0, Math.round(ms / 1000)) * 1000;
  if (rest === 0) return 'under 1 s';
  const parts: string[] = [];
  for (const [unit, size] of UNITS) {
    if (rest < size) {
      if (parts.length) break;
      continue;
    }
    parts.push(`${Math.floor(rest / size)} ${unit}`);
    rest %= size;
    if (parts.length === 2) break;
  }
  return parts.join(' ');
}
