import { GLOBAL_OPTIONS, type Command, type OptionDefinition } from './command.js';

/** Read before any command (`tollgate --version`), so it is no command's option. */
const VERSION: [string, OptionDefinition] = ['version', { type: 'boolean', short: 'V', description: 'print the version' }];

/** `tollgate` on its own, or `--help`: every command with its summary. */
export function globalHelp(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  return [
    'usage: tollgate <command> [options]',
    '',
    'commands:',
    ...commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'every command accepts:',
    ...optionLines([...Object.entries(GLOBAL_OPTIONS), VERSION]),
    '',
    'tollgate <command> --help shows a command\'s options and examples.',
  ].join('\n');
}

/** `tollgate clients` on its own: that group's commands. */
export function groupHelp(group: string, commands: readonly Command[]): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  return [
    `usage: tollgate ${group} <command> [options]`,
    '',
    ...commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    `tollgate ${group} <command> --help shows a command's options and examples.`,
  ].join('\n');
}

const optionName = (name: string, option: OptionDefinition) =>
  `--${name}${option.short ? `, -${option.short}` : ''}${option.type === 'string' ? ` ${option.value ?? '<value>'}` : ''}`;

/** Names longer than this get their description on the next line, so that one long name does not push every other one aside. */
const MAX_NAME_WIDTH = 34;

function optionLines(options: readonly (readonly [string, OptionDefinition])[], width = nameWidth(options)): string[] {
  return options.map(([name, option]) => {
    const notes = [option.required ? 'required' : '', option.multiple ? 'repeatable' : ''].filter(Boolean);
    const label = optionName(name, option);
    const description = `${option.description}${notes.length ? ` (${notes.join(', ')})` : ''}`;
    return label.length > width ? `  ${label}\n  ${' '.repeat(width)}  ${description}` : `  ${label.padEnd(width)}  ${description}`;
  });
}

function nameWidth(options: readonly (readonly [string, OptionDefinition])[]): number {
  return Math.min(MAX_NAME_WIDTH, Math.max(...options.map(([name, option]) => optionName(name, option).length)));
}

/** The usage line built from the definition: required options spelled out, the rest as [options]. */
function generatedUsage(command: Command): string {
  const positionals = command.positionals.map((positional) => (positional.required ? `<${positional.name}>` : `[<${positional.name}>]`));
  const required = Object.entries(command.options)
    .filter(([, option]) => option.required)
    .map(([name, option]) => optionName(name, option));
  return [command.name, ...positionals, ...required, '[options]'].join(' ');
}

/** `tollgate <command> --help`: usage, arguments, options by group, examples. */
export function commandHelp(command: Command): string {
  const lines = ['usage:', ...(command.usage ?? [generatedUsage(command)]).map((line) => `  tollgate ${line}`), '', command.summary];
  if (command.positionals.length) {
    const width = Math.max(...command.positionals.map((positional) => positional.name.length + 2));
    lines.push('', 'arguments:', ...command.positionals.map((positional) => `  ${`<${positional.name}>`.padEnd(width)}  ${positional.description}`));
  }
  const groups = new Map<string, [string, OptionDefinition][]>();
  for (const entry of Object.entries(command.options)) {
    const heading = entry[1].group ?? 'options';
    groups.set(heading, [...(groups.get(heading) ?? []), entry]);
  }
  const width = nameWidth([...Object.entries(command.options), ...Object.entries(GLOBAL_OPTIONS)]);
  for (const [heading, options] of groups) lines.push('', `${heading}:`, ...optionLines(options, width));
  lines.push('', 'every command accepts:', ...optionLines(Object.entries(GLOBAL_OPTIONS), width));
  if (command.examples.length) lines.push('', 'examples:', ...command.examples.map((example) => `  ${example}`));
  return lines.join('\n');
}
