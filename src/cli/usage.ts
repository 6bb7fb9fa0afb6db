/**
 * A command line that does not fit the commands' definitions: exit code 2,
 * with a pointer to the help that shows what fits.
 */
export class UsageError extends Error {
  override name = 'UsageError';
  constructor(
    message: string,
    /** The command whose `--help` to point to, when there is one. */
    readonly command?: string,
  ) {
    super(message);
  }
}

/** Levenshtein distance: the number of single-character edits from `a` to `b`. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The candidate closest to `typed`, when it is close enough to be a typo (a third of its length, at least 2 edits). */
export function closest(typed: string, candidates: readonly string[]): string | undefined {
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(typed, candidate);
    if (!best || distance < best.distance) best = { candidate, distance };
  }
  const tolerance = Math.max(2, Math.floor(typed.length / 3));
  return best && best.distance <= tolerance ? best.candidate : undefined;
}

export const didYouMean = (suggestion: string | undefined) => (suggestion ? `; did you mean ${suggestion}?` : '');

/** `--scopes` given to `keys list`, or a typo such as `--nmae`. */
export function unknownOption(command: string, option: string, known: readonly string[]): UsageError {
  const suggestion = closest(option.slice(2), known);
  return new UsageError(`${command} has no option ${option}${didYouMean(suggestion && `--${suggestion}`)}`, command);
}
