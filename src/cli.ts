import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { BaseError } from './errors.js';
import { StartupError } from './lifecycle/start-up-errors.js';
import { apiKeyCommands } from './cli/api-keys.js';
import { auditCommands } from './cli/audit.js';
import { clientCommands } from './cli/clients.js';
import type { Command } from './cli/command.js';
import { commandHelp, globalHelp, groupHelp } from './cli/help.js';
import { writeLine, type CliIo } from './cli/io.js';
import { keyCommands } from './cli/keys.js';
import { print } from './cli/output.js';
import { resourceCommands } from './cli/resources.js';
import { serverCommands } from './cli/server-commands.js';
import { Invocation } from './cli/session.js';
import { tenantCommands } from './cli/tenants.js';
import { closest, didYouMean, UsageError } from './cli/usage.js';
import { userCommands } from './cli/users.js';

export type { CliIo } from './cli/io.js';

/** Every command, in the order `tollgate --help` lists them. */
export const COMMANDS: readonly Command[] = [
  ...serverCommands,
  ...tenantCommands,
  ...resourceCommands,
  ...clientCommands,
  ...userCommands,
  ...keyCommands,
  ...apiKeyCommands,
  ...auditCommands,
];

const byName = new Map(COMMANDS.map((command) => [command.name, command]));

function version(): string {
  const packageJson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return String(packageJson.version);
}

/** The command the leading words name (`clients list`, `serve`), and the arguments after them. */
function findCommand(argv: readonly string[]): { command: Command; rest: string[] } | { group: string; rest: string[] } {
  const [first = '', second, ...others] = argv;
  if (first.startsWith('-')) throw new UsageError(`${first} goes after the command: tollgate <command> [options] (tollgate --help lists the commands)`);
  const single = byName.get(first);
  if (single) return { command: single, rest: argv.slice(1) };
  const group = COMMANDS.filter((command) => command.name.startsWith(`${first} `));
  if (second === undefined || second.startsWith('-')) {
    if (group.length) return { group: first, rest: argv.slice(1) };
    throw new UsageError(`unknown command "${first}"${didYouMean(closest(first, [...new Set(COMMANDS.map((command) => command.name.split(' ')[0]!))]))}`);
  }
  const command = byName.get(`${first} ${second}`);
  if (command) return { command, rest: others };
  const typed = `${first} ${second}`;
  throw new UsageError(`unknown command "${typed}"${didYouMean(closest(typed, [...byName.keys()]))}`);
}

/** Only errors a user can act on are shown as they are; anything else is a bug, and says so. */
function isExpected(error: unknown): error is BaseError {
  return error instanceof BaseError;
}

async function run(argv: readonly string[], io: CliIo): Promise<number | null> {
  const [first] = argv;
  if (first === '--version' || first === '-V') {
    writeLine(io.stdout, version());
    return 0;
  }
  if (first === undefined || first === '--help' || first === '-h') {
    writeLine(io.stdout, globalHelp(COMMANDS));
    return first === undefined ? 2 : 0;
  }
  const found = findCommand(argv);
  if ('group' in found) {
    writeLine(io.stdout, groupHelp(found.group, COMMANDS.filter((command) => command.name.startsWith(`${found.group} `))));
    return found.rest.includes('--help') || found.rest.includes('-h') ? 0 : 2;
  }
  const { command } = found;
  const parsed = command.parse(found.rest);
  if (parsed.help) {
    writeLine(io.stdout, commandHelp(command));
    return 0;
  }
  const invocation = new Invocation(io);
  try {
    const result = await parsed.execute(invocation);
    if (result === 'serving') return null;
    if (result !== undefined) print(result, { json: parsed.json, fields: parsed.fields, columns: command.columns }, io.stdout);
    return 0;
  } finally {
    await invocation.close();
  }
}

/**
 * Runs one `tollgate` command line (without the program name) against `io`
 * and resolves with its exit code: 0, 1 for an error, 2 for a command line
 * that does not fit, or null when `serve` started a server that keeps
 * running. Errors are one line on stderr, `tollgate: <message>`; their stack
 * only with LOG_LEVEL=debug.
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number | null> {
  try {
    return await run(argv, io);
  } catch (error) {
    if (error instanceof UsageError) {
      writeLine(io.stderr, `tollgate: ${error.message}${error.command ? ` (tollgate ${error.command} --help shows its options)` : ''}`);
      return 2;
    }
    // One clear line, no stack: operators read this, scripts check the exit code.
    writeLine(io.stderr, `tollgate: ${isExpected(error) ? error.message : `unexpected error: ${error instanceof Error ? error.message : String(error)}`}`);
    // The stack (and the cause's) only when asked for: LOG_LEVEL=debug.
    if (io.env['LOG_LEVEL'] === 'debug') writeLine(io.stderr, inspect(error instanceof StartupError && error.cause !== undefined ? error.cause : error));
    return 1;
  }
}
