import { parseArgs } from 'node:util';
import type { Database } from '../../adapters/database.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Config } from '../config.js';
import type { Registry } from '../registry/index.js';
import { dashPositionalsLast } from './args.js';
import type { CliIo } from './io.js';
import type { Output } from './output.js';
import { unknownOption, UsageError } from './usage.js';

export interface OptionDefinition {
  readonly type: 'string' | 'boolean';
  readonly multiple?: boolean;
  readonly short?: string;
  /** What the value looks like in help (`<slug>`, `90d|never`); string options only. */
  readonly value?: string;
  readonly description: string;
  /** Refused before the handler runs when missing (a usage error). */
  readonly required?: boolean;
  /** A heading the option is listed under in help; options without one come first. */
  readonly group?: string;
}

export type OptionDefinitions = Readonly<Record<string, OptionDefinition>>;

/** The flags every command accepts. */
export const GLOBAL_OPTIONS = {
  json: { type: 'boolean', description: 'print JSON, every field (for scripts)' },
  fields: { type: 'string', value: 'a,b', description: 'print only these fields\' values, tab-separated, one line per item' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
} as const satisfies OptionDefinitions;

export interface PositionalDefinition {
  readonly name: string;
  readonly description: string;
  readonly required?: boolean;
}

/** What every registry command runs with: opened once per invocation of `main`, closed by it. */
export interface BaseContext {
  readonly config: Config;
  readonly database: Database;
  readonly registry: Registry;
  readonly audit: AuditLog;
  readonly io: CliIo;
}

/** A command's option values, typed from its definition by node's own parseArgs. */
export type ValuesOf<O extends OptionDefinitions> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O & typeof GLOBAL_OPTIONS; allowPositionals: true; strict: true }>
>['values'];

export interface CommandContext<O extends OptionDefinitions> extends BaseContext {
  readonly values: ValuesOf<O>;
  readonly args: readonly string[];
}

/** Returns what to print, or undefined when the command printed as it went (`audit tail`). */
export type Handler<O extends OptionDefinitions> = (context: CommandContext<O>) => Promise<Output | undefined>;

/**
 * One invocation's resources, opened on first use and closed by `main`:
 * `serve` needs none of them, `migrate` the database before migrations.
 */
export interface Session {
  readonly io: CliIo;
  config(): Config;
  /** The database, not yet migrated. */
  database(): Database;
  /** The migrated database, its registry and the audit log. */
  context(): Promise<BaseContext>;
}

interface Definition<O extends OptionDefinitions> {
  /** `group action`, as typed: `clients create`. */
  readonly name: string;
  readonly summary: string;
  readonly options: O;
  readonly positionals?: readonly PositionalDefinition[];
  /** Lines after `tollgate `, when the generated one does not say enough (alternative forms). */
  readonly usage?: readonly string[];
  readonly examples?: readonly string[];
  /** The columns of the human table of a list, in order; `--json` prints every field. */
  readonly columns?: readonly string[];
}

export interface CommandDefinition<O extends OptionDefinitions> extends Definition<O> {
  readonly run: Handler<O>;
}

/** A command that opens what it needs itself (`serve`, `migrate`). */
export interface SessionCommandDefinition<O extends OptionDefinitions> extends Definition<O> {
  readonly run: (context: { readonly session: Session; readonly values: ValuesOf<O> }) => Promise<Output | undefined | 'serving'>;
}

/** A command with its option types erased, so that commands of every shape fit in one table. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly options: OptionDefinitions;
  readonly positionals: readonly PositionalDefinition[];
  readonly usage: readonly string[] | undefined;
  readonly examples: readonly string[];
  readonly columns: readonly string[] | undefined;
  /** Checks `argv` (what follows the command name) against this command's options and positionals. */
  parse(argv: readonly string[]): ParsedCommand;
}

export interface ParsedCommand {
  readonly json: boolean;
  readonly fields: string | undefined;
  readonly help: boolean;
  /** 'serving' when the command started a server that outlives `main`. */
  execute(session: Session): Promise<Output | undefined | 'serving'>;
}

export function defineCommand<const O extends OptionDefinitions>(definition: CommandDefinition<O>): Command {
  return commandOf(definition, async (session, values, args) => definition.run({ ...(await session.context()), values, args }));
}

export function defineSessionCommand<const O extends OptionDefinitions>(definition: SessionCommandDefinition<O>): Command {
  return commandOf(definition, (session, values) => definition.run({ session, values }));
}

function commandOf<const O extends OptionDefinitions>(
  definition: Definition<O>,
  execute: (session: Session, values: ValuesOf<O>, args: readonly string[]) => Promise<Output | undefined | 'serving'>,
): Command {
  const positionals = definition.positionals ?? [];
  return {
    name: definition.name,
    summary: definition.summary,
    options: definition.options,
    positionals,
    usage: definition.usage,
    examples: definition.examples ?? [],
    columns: definition.columns,
    parse(argv) {
      const options = { ...GLOBAL_OPTIONS, ...definition.options };
      const line = dashPositionalsLast(argv, options);
      refuseUnfitOptions(definition.name, line, options);
      const { values, positionals: args } = parseCommandLine(definition.name, line, options);
      // The same arguments read loosely, for what every command has in common
      // (the typed values above are generic in the command's options).
      const loose = parseArgs({ args: line, options: GLOBAL_OPTIONS, allowPositionals: true, strict: false }).values;
      const help = loose.help === true;
      if (!help) {
        for (const [name, option] of Object.entries(definition.options)) {
          if (option.required && loose[name] === undefined) throw new UsageError(`--${name} is required`, definition.name);
        }
        positionals.forEach((positional, index) => {
          if (positional.required && !args[index]) throw new UsageError(`<${positional.name}> is required`, definition.name);
        });
        if (args.length > positionals.length) throw new UsageError(`unexpected argument "${args[positionals.length]}"`, definition.name);
      }
      return {
        json: loose.json === true,
        fields: typeof loose.fields === 'string' ? loose.fields : undefined,
        help,
        execute: (session) => execute(session, values, args),
      };
    },
  };
}

/** An option the command does not have (with the nearest one it does), or a string option given no value. */
function refuseUnfitOptions(command: string, line: readonly string[], options: OptionDefinitions): void {
  const known = Object.keys(options);
  for (const arg of line) {
    if (arg === '--') return;
    const name = arg.split('=')[0]!;
    if (name.startsWith('--') && !known.includes(name.slice(2))) throw unknownOption(command, name, known);
    // dashPositionalsLast joins `--name value` into `--name=value`: a string option still alone had no value.
    if (arg === name && options[name.slice(2)]?.type === 'string') throw new UsageError(`${name} needs a value`, command);
  }
}

/** node's parseArgs over `line` (from dashPositionalsLast); anything else it refuses is a usage error too. */
function parseCommandLine<const O extends OptionDefinitions>(command: string, line: string[], options: O & typeof GLOBAL_OPTIONS) {
  try {
    return parseArgs<{ args: string[]; options: O & typeof GLOBAL_OPTIONS; allowPositionals: true; strict: true }>({ args: line, options, allowPositionals: true, strict: true });
  } catch (error) {
    if (error instanceof Error && 'code' in error && typeof error.code === 'string' && error.code.startsWith('ERR_PARSE_ARGS')) {
      throw new UsageError(error.message.split('\n')[0]!, command);
    }
    throw error;
  }
}
