const snakeCaseSegment = (segment: string) =>
  /^[a-z][A-Za-z0-9]*$/.test(segment) ? segment.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`) : segment;

/**
 * `clientId` → `client_id`, `tokenQuota.before` (an audit change) →
 * `token_quota.before`; what is not a camelCase identifier (`x5t#S256`, a
 * JWK member) is kept.
 */
export function snakeCaseName(name: string): string {
  return name.split('.').map(snakeCaseSegment).join('.');
}

/**
 * The CLI's output with every field named the OAuth way (snake_case), at any
 * depth. Where a result already carries a field under its snake_case name
 * (`client_id` beside `clientId`), that one is kept: it is the one the
 * command put there for the user.
 */
export function snakeCaseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeCaseKeys);
  if (value === null || typeof value !== 'object') return value;
  const result: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(value)) {
    const renamed = snakeCaseName(name);
    if (renamed !== name && Object.hasOwn(value, renamed)) continue;
    result[renamed] = snakeCaseKeys(member);
  }
  return result;
}
