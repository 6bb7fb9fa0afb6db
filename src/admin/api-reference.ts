import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * The admin API reference: Swagger UI (swagger-ui-dist, from node_modules,
 * never a CDN) rendering /admin/v1/openapi.json. Swagger UI 5 runs under a
 * policy with no 'unsafe-inline' and no 'unsafe-eval' at all: its
 * stylesheet is a file, React sets element styles through the CSSOM (which
 * CSP does not govern), and the bootstrap below is a file too. Its icons
 * are data: SVGs in that stylesheet, hence img-src data:. RapiDoc, tried
 * under the same policy, injects <style> elements and style attributes and
 * loads Google Fonts, so it would need style-src 'unsafe-inline'.
 */

const require = createRequire(import.meta.url);
const SWAGGER_UI_DIR = dirname(require.resolve('swagger-ui-dist/package.json'));
const SWAGGER_UI_VERSION = (require('swagger-ui-dist/package.json') as { version: string }).version;

/** Starts Swagger UI on the page's one element; a file, so script-src needs only 'self'. */
const BOOTSTRAP = `'use strict';
(function () {
  var root = document.getElementById('swagger-ui');
  window.ui = SwaggerUIBundle({
    url: root.getAttribute('data-openapi-url'),
    domNode: root,
    deepLinking: true,
    displayRequestDuration: true,
    defaultModelsExpandDepth: 1,
    persistAuthorization: false,
    validatorUrl: null
  });
})();
`;

interface Asset {
  readonly type: string;
  /** Read on first request: the bundle is ~1.5 MB and most processes never serve it. */
  load(): Promise<Buffer | string>;
}

function packageFile(name: string): () => Promise<Buffer> {
  let cached: Promise<Buffer> | undefined;
  return () => (cached ??= readFile(join(SWAGGER_UI_DIR, name)));
}

/** The only files served: the renderer's stylesheet and bundle, and the bootstrap. */
const ASSETS: Record<string, Asset> = {
  'swagger-ui.css': { type: 'text/css; charset=utf-8', load: packageFile('swagger-ui.css') },
  'swagger-ui-bundle.js': { type: 'text/javascript; charset=utf-8', load: packageFile('swagger-ui-bundle.js') },
  'api-reference.js': { type: 'text/javascript; charset=utf-8', load: () => Promise.resolve(BOOTSTRAP) },
};

/** In every asset URL, so a new Swagger UI or bootstrap is a new URL and assets can be cached for a year. */
const ASSET_VERSION = `${SWAGGER_UI_VERSION}-${createHash('sha256').update(BOOTSTRAP).digest('hex').slice(0, 8)}`;

export interface ApiReference {
  /** The HTML page. */
  readonly page: string;
  /** Its Content-Security-Policy. */
  readonly policy: string;
  /** The files the page loads, by path under the admin prefix: `/docs/assets/<version>/<file>`. */
  readonly assets: ReadonlyMap<string, Asset>;
}

/**
 * The page at `${prefix}/docs`. "Try it" and "Authorize" call the API and
 * the token endpoint at the issuer (the document's server and tokenUrl),
 * which is another origin when the admin API has its own port: connect-src
 * names it.
 */
export function apiReference(options: { prefix: string; issuer: string }): ApiReference {
  const assets = `${options.prefix}/docs/assets/${ASSET_VERSION}`;
  const issuerOrigin = new URL(options.issuer).origin;
  const page = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tollgate admin API</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${assets}/swagger-ui.css">
</head>
<body>
<noscript><p>The API reference needs JavaScript. The OpenAPI document is at <a href="${options.prefix}/openapi.json">${options.prefix}/openapi.json</a>.</p></noscript>
<div id="swagger-ui" data-openapi-url="${options.prefix}/openapi.json"></div>
<script src="${assets}/swagger-ui-bundle.js"></script>
<script src="${assets}/api-reference.js"></script>
</body>
</html>
`;
  const policy = [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self' ${issuerOrigin}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return {
    page,
    policy,
    assets: new Map(Object.entries(ASSETS).map(([file, asset]) => [`/docs/assets/${ASSET_VERSION}/${file}`, asset])),
  };
}
