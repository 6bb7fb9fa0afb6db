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

  test('the docs page lists every operation and runs no script', async () => {
    const response = await fetch(`${server.url}/admin/v1/docs`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-security-policy'), "default-src 'none'");
    const html = await response.text();
    assert.doesNotMatch(html, /<script|<style|\son\w+=/i);
    for (const route of server.adminApi.routes) assert.ok(html.includes(`/admin/v1${route.path}`), route.path);
  });
});
