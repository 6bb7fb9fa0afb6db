import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { validate, compileErrors } from '@readme/openapi-parser';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('admin API OpenAPI document and docs page', () => {
  let server: TestServer;
  let document: { openapi: string; paths: Record<string, Record<string, { operationId: string; security: unknown[] }>> };

  before(async () => {
    server = await startTestServer('sqlite');
    const response = await fetch(`${server.url}/admin/v1/openapi.json`);
    assert.equal(response.status, 200);
    assert.match(String(response.headers.get('content-type')), /^application\/json/);
    document = (await response.json()) as typeof document;
  });
  after(() => server?.stop());

  test('is a valid OpenAPI 3.1 document', async () => {
    assert.equal(document.openapi, '3.1.0');
    const result = await validate(structuredClone(document) as never);
    assert.ok(result.valid, result.valid ? '' : compileErrors(result));
  });

  test("lists exactly the router's operations", () => {
    const served = server.adminApi.routes.map((route) => `${route.method} ${route.path}`).sort();
    const documented = Object.entries(document.paths)
      .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    assert.deepEqual(documented, served);
    assert.ok(served.length >= 20, `${served.length} operations`);
  });

  test('request bodies are the write allow-lists the router validates with', () => {
    const create = document.paths['/clients']!['post'] as unknown as { requestBody: { content: { 'application/json': { schema: Record<string, unknown> } } } };
    const schema = create.requestBody.content['application/json'].schema;
    assert.equal(schema['additionalProperties'], false);
    assert.deepEqual((schema['properties'] as Record<string, { type: unknown }>)['token_quota']!.type, ['string', 'null']);
  });

  test('the docs page is the API reference under a strict CSP: scripts are files, nothing inline', async () => {
    const response = await fetch(`${server.url}/admin/v1/docs`);
    assert.equal(response.status, 200);
    assert.match(String(response.headers.get('content-type')), /^text\/html/);
    const csp = String(response.headers.get('content-security-policy'));
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /style-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/, csp);
    const html = await response.text();
    assert.doesNotMatch(html, /<style|\sstyle=|\son\w+=|javascript:/i);
    const scripts = [...html.matchAll(/<script([^>]*)>([^<]*)<\/script>/g)];
    assert.equal(scripts.length, 2);
    for (const [, attributes, body] of scripts) {
      assert.match(attributes!, /^ src="\/admin\/v1\/docs\/assets\/[^/"]+\/[a-z-]+\.js"$/);
      assert.equal(body, '', 'no inline script');
    }
    assert.match(html, /data-openapi-url="\/admin\/v1\/openapi\.json"/);
  });

  test('the renderer\'s assets answer with their types, a versioned URL and a year of caching; nothing else is served', async () => {
    const html = await (await fetch(`${server.url}/admin/v1/docs`)).text();
    const urls = [...html.matchAll(/(?:src|href)="(\/admin\/v1\/docs\/assets\/[^"]+)"/g)].map((match) => match[1]!);
    assert.deepEqual(urls.map((url) => url.split('/').pop()), ['swagger-ui.css', 'swagger-ui-bundle.js', 'api-reference.js']);
    const version = urls[0]!.split('/')[5]!;
    assert.match(version, /^\d+\.\d+\.\d+-[0-9a-f]{8}$/, 'the Swagger UI version and the bootstrap hash');
    for (const url of urls) {
      const response = await fetch(`${server.url}${url}`);
      assert.equal(response.status, 200, url);
      assert.equal(response.headers.get('content-type'), url.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8', url);
      assert.equal(response.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
      assert.ok((await response.text()).length > 0);
    }
    for (const path of [`${version}/index.html`, `${version}/package.json`, `${version}/../../../package.json`, `0.0.0-00000000/swagger-ui.css`, `${version}/swagger-ui.css.map`]) {
      const response = await fetch(`${server.url}/admin/v1/docs/assets/${path}`);
      assert.notEqual(response.status, 200, path);
      assert.doesNotMatch(String(response.headers.get('content-type')), /javascript|css|html/, path);
    }
  });
});
