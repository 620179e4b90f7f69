import express, { type Express } from 'express';
import { createRequire } from 'node:module';
import { getAbsoluteFSPath } from 'swagger-ui-dist';
import { openApiDocument } from './openapi.js';
import type { RouteTable, Routes } from './route-table.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

const page = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Flotilla API</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/swagger-initializer.js"></script>
</body>
</html>
`;

const initializer = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', persistAuthorization: true });\n`;

/** GET /openapi.json, made from the route table once every route is in it. */
export function openApiRoute(routes: Routes, table: RouteTable): void {
  let document: unknown;
  routes.get('/openapi.json', { summary: 'This API, described in OpenAPI 3.1', responses: { 200: 'the OpenAPI document' } }, (_req, res) => {
    document ??= openApiDocument(table.routes, version);
    res.json(document);
  });
}

/** GET /docs: Swagger UI from the local swagger-ui-dist package (no CDN), reading /openapi.json. */
export function serveDocs(app: Express): void {
  app.get('/docs', (_req, res) => void res.type('html').send(page));
  app.get('/docs/swagger-initializer.js', (_req, res) => void res.type('js').send(initializer));
  app.use('/docs', express.static(getAbsoluteFSPath(), { index: false }));
}
