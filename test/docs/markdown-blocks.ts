/**
 * Reads the code blocks of a documentation page and what its `docs-test`
 * markers say about them.
 *
 * - ```sh / ```bash blocks run, in order, in one shell per page.
 * - ```js / ```mjs / ```ts blocks run only as a file: `<!-- docs-test: file
 *   NAME -->` before the block writes it to NAME in the page's working
 *   directory at that point, for a later shell block to run (`node NAME`),
 *   as a reader who saved it would.
 * - `<!-- docs-test: skip (why) -->` before any such block leaves it out,
 *   counted and listed with its reason.
 * - `<!-- docs-test: server-env NAME=value … -->` anywhere on the page: the
 *   page's server (and so its shell, as with a shared `.env`) gets these.
 *
 * Any other block (json, text, untagged) shows output or a layout and is not
 * run. A js/ts block with no marker is an error: every snippet either runs
 * or says why not.
 */

export type BlockAction =
  | { readonly kind: 'run' }
  | { readonly kind: 'file'; readonly name: string }
  | { readonly kind: 'skip'; readonly reason: string };

export interface CodeBlock {
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly lang: string;
  readonly code: string;
  readonly action: BlockAction;
}

export interface DocPage {
  readonly blocks: readonly CodeBlock[];
  readonly serverEnv: Readonly<Record<string, string>>;
}

const SHELL = new Set(['sh', 'bash', 'shell']);
const SCRIPT = new Set(['js', 'mjs', 'javascript', 'ts', 'typescript']);
const FENCE = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/;
const MARKER = /^<!--\s*docs-test:\s*(skip|file|server-env)\b\s*(.*?)\s*-->\s*$/;

export class DocPageError extends Error {}

/** The runnable and skipped blocks of one page, in order. */
export function parsePage(markdown: string, page: string): DocPage {
  const lines = markdown.split('\n');
  const blocks: CodeBlock[] = [];
  const serverEnv: Record<string, string> = {};
  let pending: { action: BlockAction; line: number } | undefined;
  for (let index = 0; index < lines.length; index++) {
    const text = lines[index]!;
    const marker = MARKER.exec(text.trim());
    if (marker) {
      const [, kind, argument = ''] = marker;
      if (kind === 'server-env') {
        for (const pair of argument.split(/\s+/).filter(Boolean)) {
          const at = pair.indexOf('=');
          if (at < 1) throw new DocPageError(`${page}:${index + 1}: server-env wants NAME=value, got "${pair}"`);
          serverEnv[pair.slice(0, at)] = pair.slice(at + 1);
        }
        continue;
      }
      if (pending) throw new DocPageError(`${page}:${pending.line}: docs-test marker with no code block after it`);
      if (kind === 'skip') {
        const reason = /^\((.+)\)$/.exec(argument)?.[1];
        if (!reason) throw new DocPageError(`${page}:${index + 1}: docs-test: skip needs a reason in parentheses`);
        pending = { action: { kind: 'skip', reason }, line: index + 1 };
      } else {
        if (!/^[\w.-]+$/.test(argument)) throw new DocPageError(`${page}:${index + 1}: docs-test: file needs a plain file name`);
        pending = { action: { kind: 'file', name: argument }, line: index + 1 };
      }
      continue;
    }
    const fence = FENCE.exec(text);
    if (!fence) {
      if (pending && text.trim() !== '') throw new DocPageError(`${page}:${pending.line}: docs-test marker must come right before its code block`);
      continue;
    }
    const [, indent = '', delimiter = '', lang = ''] = fence;
    const start = index;
    const body: string[] = [];
    for (index++; index < lines.length; index++) {
      const line = lines[index]!;
      if (line.trim().startsWith(delimiter) && line.trim().replace(/[`~]/g, '') === '') break;
      // A fence with a language inside a block is, in practice, a block whose closing fence is missing.
      if (line.trim().startsWith(delimiter) && /^[`~]+\s*[\w-]+\s*$/.test(line.trim())) {
        throw new DocPageError(`${page}:${start + 1}: code block is not closed before the fence at line ${index + 1}`);
      }
      body.push(line.startsWith(indent) ? line.slice(indent.length) : line);
    }
    if (index >= lines.length) throw new DocPageError(`${page}:${start + 1}: code block is never closed`);
    const action = pending?.action;
    pending = undefined;
    const code = `${body.join('\n')}\n`;
    if (SHELL.has(lang)) {
      if (action?.kind === 'file') throw new DocPageError(`${page}:${start + 1}: a shell block runs; it is not written to a file`);
      blocks.push({ line: start + 1, lang, code, action: action ?? { kind: 'run' } });
    } else if (action) {
      blocks.push({ line: start + 1, lang, code, action });
    } else if (SCRIPT.has(lang)) {
      throw new DocPageError(`${page}:${start + 1}: a ${lang} block must be marked docs-test: file NAME (run by a later block) or skip (why)`);
    }
  }
  if (pending) throw new DocPageError(`${page}:${pending.line}: docs-test marker with no code block after it`);
  return { blocks, serverEnv };
}

/**
 * What a shell block says its output will contain: each `# -> ` line, with
 * `...` standing for any text. Each piece must appear, in order.
 */
export function expectedOutputs(code: string): string[][] {
  return code.split('\n')
    .map((line) => /^\s*# -> (.*)$/.exec(line)?.[1])
    .filter((expected): expected is string => expected !== undefined)
    .map((expected) => expected.split('...').filter(Boolean));
}

/** The first expectation `output` does not meet, or undefined. */
export function unmetExpectation(code: string, output: string): string | undefined {
  for (const pieces of expectedOutputs(code)) {
    let from = 0;
    for (const piece of pieces) {
      const at = output.indexOf(piece, from);
      if (at < 0) return pieces.join('...');
      from = at + piece.length;
    }
  }
  return undefined;
}
