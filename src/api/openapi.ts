import { STATUS_CODES } from 'node:http';
import { z } from 'zod';
import { REQUEST_ID_PATTERN } from '../domain/ids.js';
import { ErrorBody } from './errors.js';
import type { DescribedRoute, Reply } from './route-table.js';

type JsonSchema = Record<string, unknown>;

/** A zod schema as JSON Schema 2020-12 (OpenAPI 3.1's dialect): requests as clients write them, answers as the API sends them. */
export function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): JsonSchema {
  // Refinements (DNS labels, cross-field rules) have no JSON Schema form; the API still applies them.
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

const errorRef = { $ref: '#/components/schemas/Error' };

/** The OpenAPI 3.1 description of the routes of a route table. */
export function openApiDocument(routes: readonly DescribedRoute[], version: string): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    (paths[openApiPath(route.path)] ??= {})[route.method] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Flotilla API',
      version,
      description: 'Kubernetes clusters, cluster groups and Helm deployments, each operation a durable Temporal workflow.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'A token of FLOTILLA_API_TOKENS; each token belongs to one organization.' },
      },
      schemas: { Error: jsonSchema(ErrorBody, 'output') },
    },
  };
}

/** `/clusters/:name` → `/clusters/{name}`. */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:(\w+)/g, '{$1}');
}

function operation(route: DescribedRoute): Record<string, unknown> {
  const parameters = [
    ...[...route.path.matchAll(/:(\w+)/g)].map(([, name]) => ({ name, in: 'path', required: true, schema: jsonSchema(route.params[name!] ?? z.string()) })),
    ...queryParameters(route.query),
    ...(route.idempotencyKey
      ? [
          {
            name: 'Idempotency-Key',
            in: 'header',
            required: false,
            description: 'Makes a retried request safe: the same key is never applied twice.',
            schema: { type: 'string', pattern: REQUEST_ID_PATTERN.source },
          },
        ]
      : []),
  ];
  // Besides the route's own. Any request: bad input (every route refuses query parameters it does not take, and
  // bodies that are not JSON), a body over the size limit (parsed on every route), a request line and headers
  // over Node's limit. With a token: a missing or unknown one, the per-token rate limit (when configured).
  const errorStatuses = [...new Set([400, 413, 431, ...(route.auth ? [401, 429] : []), ...route.errors])].sort((a, b) => a - b);
  return {
    tags: [route.tag],
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    security: route.auth ? [{ bearer: [] }] : [],
    ...(parameters.length ? { parameters } : {}),
    ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body) } } } } : {}),
    responses: {
      ...Object.fromEntries(Object.entries(route.responses).map(([status, reply]) => [status, success(Number(status), reply)])),
      ...Object.fromEntries(errorStatuses.map((status) => [String(status), { description: STATUS_CODES[status] ?? 'error', content: { 'application/json': { schema: errorRef } } }])),
    },
  };
}

function queryParameters(query: z.ZodType | undefined): Record<string, unknown>[] {
  if (!query) return [];
  const schema = jsonSchema(query) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(schema.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: schema.required?.includes(name) ?? false,
    schema: property,
  }));
}

/** A success answer: its schema where a zod schema exists, else just its media type. */
function success(status: number, reply: string | Reply): Record<string, unknown> {
  const { description, schema, contentType = 'application/json' } = typeof reply === 'string' ? ({ description: reply } as Reply) : reply;
  if (status === 204) return { description };
  const shape = schema ? jsonSchema(schema, 'output') : { type: contentType === 'application/json' ? 'object' : 'string' };
  return { description, content: { [contentType]: { schema: shape } } };
}
