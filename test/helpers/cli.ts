import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { main } from '../../src/cli.js';

export interface CliResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

export interface CliOptions {
  /** What the command reads on stdin (`--password-stdin`). */
  readonly stdin?: string;
  /** Stops a command that runs until interrupted (`audit tail --follow`). */
  readonly signal?: AbortSignal;
  /** Receives stdout as it is written, for a command that runs until stopped. */
  readonly onStdout?: (text: string) => void;
}

/**
 * Runs one `tollgate` command line in this process, through the CLI's
 * `main`, with the given environment only (never this process's), and
 * collects what it writes.
 */
export async function runCli(env: Readonly<Record<string, string | undefined>>, args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: {
      write: (text: string) => {
        stdout += text;
        options.onStdout?.(text);
      },
    },
    stderr: { write: (text: string) => (stderr += text) },
    stdin: Readable.from(options.stdin === undefined ? [] : [options.stdin]),
    env,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  assert.notEqual(code, null, 'only `serve` keeps running');
  return { stdout, stderr, code: code ?? -1 };
}

/**
 * The `tollgate` CLI as an operator runs it, against a server's
 * environment; `json` expects success and parses `--json` output.
 */
export function cliFor(server: () => { readonly env: Record<string, string> }) {
  async function tollgate(...args: string[]): Promise<CliResult> {
    return runCli(server().env, args);
  }
  async function json(...args: string[]): Promise<Record<string, unknown> & Record<string, unknown>[]> {
    const result = await tollgate(...args, '--json');
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as Record<string, unknown> & Record<string, unknown>[];
  }
  return { tollgate, json };
}
