import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const cliPath = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

/**
 * Runs the compiled `tollgate` CLI in a child process with a server's
 * environment, as an operator would; `json` expects success and parses
 * `--json` output.
 */
export function cliFor(server: () => { readonly env: Record<string, string> }) {
  async function tollgate(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
    try {
      const { stdout, stderr } = await run(process.execPath, [cliPath, ...args], { env: { ...process.env, ...server().env } });
      return { stdout, stderr, code: 0 };
    } catch (error) {
      const failed = error as { stdout: string; stderr: string; code: number };
      return { stdout: failed.stdout, stderr: failed.stderr, code: failed.code };
    }
  }
  async function json(...args: string[]): Promise<Record<string, unknown> & Record<string, unknown>[]> {
    const result = await tollgate(...args, '--json');
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as Record<string, unknown> & Record<string, unknown>[];
  }
  return { tollgate, json };
}
