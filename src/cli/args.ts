import { invalidRequest } from '../errors.js';
import type { Registry } from '../registry/index.js';

export function required(value: string | undefined, what: string): string {
  if (!value) throw invalidRequest(`${what} is required`);
  return value;
}

/**
 * `--token-quota`: a `<count>/<unit>` spec (validated by the registry),
 * `none` to remove the quota, or undefined when the option was not given.
 */
export function quota(value: string | undefined): string | null | undefined {
  if (value === undefined) return undefined;
  return value.trim().toLowerCase() === 'none' ? null : value;
}

export function integer(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw invalidRequest(`${what} must be a whole number`);
  return Number(value);
}

interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
}

/**
 * Key ids are base64url thumbprints and may begin with `-` (`keys revoke
 * -nQ3…`), which node's parseArgs reads as an unknown option. Every argument
 * that starts with a single `-` but names none of `options` (and is not an
 * option's value) is moved behind a `--`, where parseArgs takes it as a
 * positional; positionals keep their order. Unknown `--long` options are
 * left for parseArgs to refuse.
 */
export function dashPositionalsLast(argv: readonly string[], options: Readonly<Record<string, OptionSpec>>): string[] {
  const known = new Map<string, OptionSpec>();
  for (const [name, spec] of Object.entries(options)) {
    known.set(`--${name}`, spec);
    if (spec.short) known.set(`-${spec.short}`, spec);
  }
  const head: string[] = [];
  const positionals: string[] = [];
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index]!;
    if (arg === '--') {
      positionals.push(...argv.slice(index + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const spec = known.get(arg.split('=')[0]!);
    // An unknown `--long` option stays an error (a typo); an unknown `-x…` is an id.
    if (!spec && !arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    if (spec?.type === 'string' && arg.startsWith('--') && !arg.includes('=') && index + 1 < argv.length) {
      // `--name=-x` form: parseArgs calls a separate value that begins with `-` ambiguous.
      head.push(`${arg}=${argv[(index += 1)]!}`);
    } else {
      head.push(arg);
    }
  }
  return [...head, '--', ...positionals];
}

/**
 * A list's `--tenant` filter must name a tenant: an empty list for a typo
 * would read as "this tenant has none".
 */
export async function existingTenant(registry: Pick<Registry, 'tenants'>, reference: string): Promise<void> {
  if (!(await registry.tenants.findBySlugOrId(reference))) throw invalidRequest(`tenant ${reference} does not exist`);
}
