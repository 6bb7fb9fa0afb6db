import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { DocPageError, parsePage } from './markdown-blocks.js';
import { REPO, runPage } from './page-session.js';

// The docs test is only worth something if a broken page fails it: these
// break the README's quick start, and small pages, on purpose.
describe('docs test: a broken block fails', () => {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  let server: TestServer;
  before(async () => { server = await startTestServer('sqlite'); });
  after(async () => { await server?.stop(); });

  test('a command that fails stops the page at its block', async () => {
    const broken = readme.replace('npx tollgate tenants create acme', 'npx tollgate tenants create acme --no-such-option');
    assert.notEqual(broken, readme);
    const { blocks } = parsePage(broken, 'README.md');
    const result = await runPage(blocks, server.env);
    assert.ok(result.failure, 'the broken page passed');
    assert.match(result.failure.reason, /exited with status [1-9]/);
    assert.match(result.failure.block.code, /--no-such-option/);
    assert.equal(result.completed.length, 0);
  });

  test('output that is not what the page says fails the block', async () => {
    const page = ['```sh', `curl -s "$ISSUER/.well-known/openid-configuration"`, '# -> "token_endpoint":"http...', '```'].join('\n');
    assert.equal((await runPage(parsePage(page, 'x.md').blocks, server.env)).failure, undefined);
    const broken = page.replace('"token_endpoint"', '"no_such_endpoint"');
    const result = await runPage(parsePage(broken, 'x.md').blocks, server.env);
    assert.ok(result.failure, 'the broken page passed');
    assert.match(result.failure.reason, /output does not contain: "no_such_endpoint":"http/);
  });

  test('a script block with no marker, or a marker with no block, is refused', () => {
    assert.throws(() => parsePage('```js\nconsole.log(1)\n```\n', 'x.md'), DocPageError);
    assert.throws(() => parsePage('<!-- docs-test: skip (why) -->\n\ntext\n```sh\ntrue\n```\n', 'x.md'), DocPageError);
    assert.throws(() => parsePage('<!-- docs-test: skip -->\n```sh\ntrue\n```\n', 'x.md'), /needs a reason/);
    // a lost closing fence would otherwise swallow the next block silently
    assert.throws(() => parsePage('```\nlayout\n\n```sh\ntrue\n```\n', 'x.md'), /not closed before the fence at line 4/);
  });

  test('skipped blocks are listed with their reason; file blocks are written for later blocks', async () => {
    const page = [
      '<!-- docs-test: skip (starts a server) -->', '```sh', 'npm start', '```',
      '<!-- docs-test: file hello.mjs -->', '```js', "console.log('hello ' + process.argv[2]);", '```',
      '```sh', 'node hello.mjs docs', '# -> hello docs', '```',
    ].join('\n');
    const { blocks } = parsePage(page, 'x.md');
    assert.deepEqual(blocks.map((block) => block.action), [
      { kind: 'skip', reason: 'starts a server' },
      { kind: 'file', name: 'hello.mjs' },
      { kind: 'run' },
    ]);
    const result = await runPage(blocks, server.env);
    assert.equal(result.failure, undefined);
    assert.equal(result.completed[0]?.stdout, 'hello docs\n');
  });
});
