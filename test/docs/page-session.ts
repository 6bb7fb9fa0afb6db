import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unmetExpectation, type CodeBlock } from './markdown-blocks.js';

/** The checkout: test/docs/ is compiled to dist/test/docs/. */
export const REPO = fileURLToPath(new URL('../../../', import.meta.url));

export interface BlockResult {
  readonly block: CodeBlock;
  readonly stdout: string;
  readonly stderr: string;
}

export interface SessionResult {
  /** Blocks that ran to the end, with their output. */
  readonly completed: readonly BlockResult[];
  /** The block that failed (a command exited non-zero, or its output was not what the page says), or undefined. */
  readonly failure?: { readonly block: CodeBlock; readonly reason: string; readonly stdout: string; readonly stderr: string };
}

/**
 * `tollgate` and `npx tollgate` as a reader of the docs has them in a
 * checkout: this checkout's bin/tollgate.js. Any other `npx` goes to npm.
 */
function commandDirectory(root: string): string {
  const bin = join(root, 'bin');
  mkdirSync(bin);
  const cli = join(REPO, 'bin', 'tollgate.js');
  const realNpx = join(process.execPath, '..', 'npx');
  writeFileSync(join(bin, 'tollgate'), `#!/bin/sh\nexec "${process.execPath}" "${cli}" "$@"\n`);
  writeFileSync(join(bin, 'npx'), `#!/bin/sh\nif [ "$1" = tollgate ]; then shift; exec "${process.execPath}" "${cli}" "$@"; fi\nexec "${realNpx}" "$@"\n`);
  chmodSync(join(bin, 'tollgate'), 0o755);
  chmodSync(join(bin, 'npx'), 0o755);
  return bin;
}

/**
 * Runs a page's shell blocks in order in one bash process, as a reader
 * pasting them into one terminal: variables carry over, `set -e -o pipefail`
 * stops at the first command that fails. The working directory is a fresh
 * one whose node_modules is the checkout's, so `node x.mjs` resolves the
 * packages a reader in the checkout has.
 */
export async function runPage(blocks: readonly CodeBlock[], env: Record<string, string>, timeoutMs = 120_000): Promise<SessionResult> {
  const root = mkdtempSync(join(tmpdir(), 'tollgate-docs-'));
  try {
    const work = join(root, 'work');
    const state = join(root, 'blocks');
    mkdirSync(work);
    mkdirSync(state);
    symlinkSync(join(REPO, 'node_modules'), join(work, 'node_modules'));
    const bin = commandDirectory(root);
    const script = ['set -e -o pipefail', `cd ${JSON.stringify(work)}`];
    blocks.forEach((block, index) => {
      const source = join(state, String(index));
      writeFileSync(source, block.code);
      if (block.action.kind === 'file') {
        script.push(`cp ${JSON.stringify(source)} ${JSON.stringify(block.action.name)}`);
      } else if (block.action.kind === 'run') {
        script.push(`{ . ${JSON.stringify(source)}; } >${JSON.stringify(`${source}.out`)} 2>${JSON.stringify(`${source}.err`)} </dev/null`);
      }
      script.push(`echo ${index} >>${JSON.stringify(join(state, 'done'))}`);
    });
    // node:test marks its own child processes; a reader's shell has no such mark.
    const { NODE_TEST_CONTEXT: _testContext, ...inherited } = process.env;
    const child = spawn('bash', ['--noprofile', '--norc', '-c', script.join('\n')], {
      cwd: work,
      env: { ...inherited, ...env, PATH: `${bin}:${process.env['PATH'] ?? ''}`, HOME: root },
      stdio: 'ignore',
      detached: true,
    });
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), timeoutMs);
    const status = await new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
    clearTimeout(timer);
    // A block may leave a process in the background (an API it started): end the whole group.
    try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* the group is gone already */ }

    const done = existsSync(join(state, 'done')) ? readFileSync(join(state, 'done'), 'utf8').trim().split('\n').filter(Boolean).map(Number) : [];
    const read = (index: number, stream: 'out' | 'err') => {
      const path = join(state, `${index}.${stream}`);
      return existsSync(path) ? readFileSync(path, 'utf8') : '';
    };
    const completed: BlockResult[] = [];
    for (const index of done) {
      const block = blocks[index]!;
      if (block.action.kind !== 'run') continue;
      const stdout = read(index, 'out');
      const stderr = read(index, 'err');
      const unmet = unmetExpectation(block.code, `${stdout}\n${stderr}`);
      if (unmet !== undefined) return { completed, failure: { block, reason: `output does not contain: ${unmet}`, stdout, stderr } };
      completed.push({ block, stdout, stderr });
    }
    if (done.length < blocks.length) {
      const index = done.length;
      const reason = status === 'SIGKILL' ? `still running after ${timeoutMs} ms` : `a command exited with status ${status}`;
      return { completed, failure: { block: blocks[index]!, reason, stdout: read(index, 'out'), stderr: read(index, 'err') } };
    }
    return { completed };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
