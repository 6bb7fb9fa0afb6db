import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { startTestServer } from '../helpers/server.js';
import { parsePage } from './markdown-blocks.js';
import { REPO, runPage } from './page-session.js';

// Every page a reader follows: the README, each page under docs/, and the
// resource-server package's README.
// DOCS_TEST_PAGE=docs/dpop.md runs just the pages whose path contains it.
const PAGES = [
  'README.md',
  ...readdirSync(join(REPO, 'docs')).filter((name) => name.endsWith('.md')).sort().map((name) => `docs/${name}`),
  'packages/resource-server/README.md',
].filter((page) => page.includes(process.env['DOCS_TEST_PAGE'] ?? ''));

// Each page runs against a server of its own, so no page leans on what
// another created; pages run two at a time (most of the time is spent in
// CLI processes and argon2).
describe('docs: every shell block of every page runs as written', { concurrency: 2 }, () => {
  for (const page of PAGES) {
    test(page, async (t) => {
      const { blocks, serverEnv } = parsePage(readFileSync(join(REPO, page), 'utf8'), page);
      for (const block of blocks) {
        if (block.action.kind === 'skip') t.diagnostic(`skipped ${page}:${block.line} (${block.action.reason})`);
      }
      const runnable = blocks.filter((block) => block.action.kind === 'run').length;
      t.diagnostic(`${page}: ${runnable} blocks run, ${blocks.filter((block) => block.action.kind === 'skip').length} skipped`);
      if (runnable === 0) return;

      const server = await startTestServer('sqlite', { env: serverEnv });
      try {
        const result = await runPage(blocks, server.env);
        if (result.failure) {
          const { block, reason, stdout, stderr } = result.failure;
          assert.fail(`${page}:${block.line}: ${reason}\n--- block\n${block.code}--- stdout\n${stdout}\n--- stderr\n${stderr}`);
        }
        assert.equal(result.completed.length, runnable);
      } finally {
        await server.stop();
      }
    });
  }
});
