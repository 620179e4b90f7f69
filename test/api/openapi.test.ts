import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { Ajv2020 } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import type { Express } from 'express';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ClusterAccess } from '../../src/adapters/cluster-access.js';
import type { SecretStore } from '../../src/adapters/secrets/store.js';
import { createApp } from '../../src/api/app.js';
import { TokenTable } from '../../src/api/auth.js';
import { openApiPath } from '../../src/api/openapi.js';
import { testAccess } from '../helpers/egress.js';
import { appRoutes } from '../helpers/routes.js';

// The document is made from the route table alone, so the app needs no Temporal here:
// nothing below sends a request that reaches a gateway.
let app: Express;
let server: Server;
let baseUrl: string;
let doc: any;

beforeAll(async () => {
  const access = testAccess();
  const options = {
    client: {} as Client,
    tokens: new TokenTable('token-acme:acme'),
    links: { namespace: 'default' },
    secrets: {} as SecretStore,
    clusterAccess: {} as ClusterAccess,
    egress: access.egress,
    tenantKubeconfigs: access.kubeconfigs,
    codec: { codec: {} as PayloadCodec, origins: [] },
    cursorKeys: [randomBytes(32)],
  };
  app = createApp(options);
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const res = await fetch(`${baseUrl}/openapi.json`);
  expect(res.status).toBe(200);
  doc = await res.json();
});
afterAll(() => new Promise((resolve) => server?.close(resolve)));

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

function ajv() {
  const instance = new Ajv2020({ strict: false, allErrors: true });
  // A CommonJS module: its function is also its `default` property, which is what TypeScript sees.
  formats.default(instance);
  instance.addFormat('media-range', true); // used by the official OpenAPI schema, not by ours
  return instance;
}

function documentedRoutes(): string[] {
  return Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, item]) =>
    Object.keys(item)
      .filter((m) => METHODS.includes(m))
      .map((m) => `${m.toUpperCase()} ${path}`),
  );
}

/** Served, but not API operations: what each one is instead. */
const NOT_IN_THE_DOCUMENT: Record<string, string> = {
  'GET /docs': 'the Swagger UI page (HTML), which renders the document',
  'GET /docs/swagger-initializer.js': "Swagger UI's start-up script",
  'GET /metrics': 'Prometheus exposition format, scraped by Prometheus, not called by API clients',
  ...Object.fromEntries(
    ['/codec/encode', '/codec/decode', '/codec/{token}/encode', '/codec/{token}/decode'].map((path) => [
      `POST ${path}`,
      'the Temporal codec server protocol, called by the Web UI and the temporal CLI, not by API clients',
    ]),
  ),
};

describe('the OpenAPI document', () => {
  it('describes every route the app serves, and no other', () => {
    const served = appRoutes(app).map(({ method, path }) => `${method} ${openApiPath(path)}`);
    const documented = documentedRoutes();
    expect(served.filter((r) => !documented.includes(r) && !(r in NOT_IN_THE_DOCUMENT))).toEqual([]);
    expect(documented.filter((r) => !served.includes(r))).toEqual([]);
    // The walk itself finds the nested org routes, not only the top-level ones.
    expect(served).toEqual(expect.arrayContaining(['POST /api/v1/orgs/{org}/clusters', 'PUT /api/v1/orgs/{org}/clustergroups/{group}/deployments/{release}/sync', 'GET /healthz']));
  });

  it('is a valid OpenAPI 3.1 document', () => {
    // The official schema of OpenAPI 3.1 documents (spec.openapis.org/oas/3.1/schema/2022-10-07).
    // Its `$dynamicRef: #meta` is bound only by the schema-base variant; in this base schema it means
    // `$defs/schema`, which ajv does not resolve by itself: spell it as a plain $ref.
    const text = readFileSync(new URL('../fixtures/openapi-3.1-schema.json', import.meta.url), 'utf8');
    const validate = ajv().compile(JSON.parse(text.replaceAll('"$dynamicRef": "#meta"', '"$ref": "#/$defs/schema"')));
    expect(validate(doc) ? [] : validate.errors).toEqual([]);
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.jsonSchemaDialect).toBe('https://json-schema.org/draft/2020-12/schema');
  });

  it('holds JSON Schemas that compile, path parameters that match the paths, and the bearer scheme on org routes', () => {
    const schemas: unknown[] = [...Object.values(doc.components.schemas)];
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const method of METHODS.filter((m) => item[m])) {
        const op = item[method];
        const where = `${method.toUpperCase()} ${path}`;
        const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
        const params = op.parameters ?? [];
        expect([where, params.filter((p: any) => p.in === 'path').map((p: any) => p.name)]).toEqual([where, inPath]);
        expect([where, params.filter((p: any) => p.in === 'path').every((p: any) => p.required)]).toEqual([where, true]);
        schemas.push(...params.map((p: any) => p.schema));
        for (const media of Object.values<any>(op.requestBody?.content ?? {})) schemas.push(media.schema);
        for (const response of Object.values<any>(op.responses)) for (const media of Object.values<any>(response.content ?? {})) schemas.push(media.schema);
        const org = path.startsWith('/api/v1/');
        expect([where, op.security]).toEqual([where, org ? [{ bearer: [] }] : []]);
        if (org) expect([where, op.responses['401']?.content['application/json'].schema]).toEqual([where, { $ref: '#/components/schemas/Error' }]);
      }
    }
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    const compiler = ajv();
    compiler.addSchema({ $id: 'doc', components: doc.components } as never);
    const resolved = (schema: unknown) => JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/'));
    for (const schema of schemas) expect(() => compiler.compile(resolved(schema))).not.toThrow();
    expect(schemas.length).toBeGreaterThan(40);
  });

  it('describes the request bodies with the schemas the API validates with', () => {
    const create = doc.paths['/api/v1/orgs/{org}/clusters'].post;
    expect(create.requestBody.content['application/json'].schema).toMatchObject({
      type: 'object',
      required: expect.arrayContaining(['name', 'provider']),
      additionalProperties: false,
      properties: { provider: { enum: expect.arrayContaining(['kwok', 'sim', 'eks']) } },
    });
    expect(create.parameters).toEqual([expect.objectContaining({ name: 'org', in: 'path' }), expect.objectContaining({ name: 'Idempotency-Key', in: 'header' })]);
    const list = doc.paths['/api/v1/orgs/{org}/clusters'].get;
    expect(list.parameters.filter((p: any) => p.in === 'query').map((p: any) => p.name)).toEqual(expect.arrayContaining(['provider', 'status']));
  });

  it('states what the API takes where JSON Schema can: DNS labels, the page size', () => {
    const param = (path: string, name: string) => doc.paths[path].get.parameters.find((p: any) => p.name === name).schema;
    expect(param('/api/v1/orgs/{org}/clusters/{name}', 'name')).toEqual({ type: 'string', minLength: 1, maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' });
    const limit = ajv().compile(param('/api/v1/orgs/{org}/secrets', 'limit'));
    expect(['1', '9', '10', '99', '100', '499', '500'].filter((v) => !limit(v))).toEqual([]);
    expect(['0', '501', '999', '007', '1.5', '-1', ''].filter((v) => limit(v))).toEqual([]);
  });

  it('declares the errors any request may get, and 401 and 429 exactly where a token is taken', () => {
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const method of METHODS.filter((m) => item[m])) {
        const where = `${method.toUpperCase()} ${path}`;
        const { responses, security } = item[method];
        const errors = ['400', '413', '431'].filter((s) => responses[s]?.content['application/json'].schema.$ref === '#/components/schemas/Error');
        expect([where, errors]).toEqual([where, ['400', '413', '431']]);
        expect([where, ['401', '429'].filter((s) => s in responses)]).toEqual([where, security.length ? ['401', '429'] : []]);
      }
    }
  });

  it('is what the API answers a method a documented path lacks with: 405, naming the methods it has', async () => {
    const ask = async (method: string, path: string) => {
      const res = await fetch(`${baseUrl}${path}`, { method, headers: { authorization: 'Bearer token-acme' } });
      return [res.status, res.headers.get('allow'), res.status === 405 ? ((await res.json()) as any).error.code : undefined];
    };
    expect(await ask('DELETE', '/healthz')).toEqual([405, 'GET, HEAD, OPTIONS', 'method_not_allowed']);
    expect(await ask('PATCH', '/api/v1/orgs/acme/clusters')).toEqual([405, 'POST, GET, HEAD, OPTIONS', 'method_not_allowed']);
    expect(await ask('OPTIONS', '/api/v1/orgs/acme/clusters/one/nodepools/a')).toEqual([204, 'PUT, DELETE, OPTIONS', undefined]);
    // A path the document does not have is still a 404.
    expect(await ask('PATCH', '/api/v1/orgs/acme/nothing')).toEqual([404, null, undefined]);
  });
});

/** A curl command of the README: method, path with query, and its -d body. */
interface Example {
  method: string;
  path: string;
  body?: string;
}

/**
 * Reads the README's shell blocks as a shell would, enough for its examples:
 * quotes (across lines), escapes, `$VAR` from earlier assignments, comments,
 * and command separators. Unknown variables become their lower-case name.
 */
function readmeExamples(markdown: string): Example[] {
  const vars: Record<string, string> = {};
  const examples: Example[] = [];
  for (const [, block] of markdown.matchAll(/```(?:sh|bash|shell)\n([\s\S]*?)```/g)) {
    for (const words of shellCommands(block!, vars)) if (words[0] === 'curl') examples.push(curl(words.slice(1)));
  }
  return examples;
}

function shellCommands(script: string, vars: Record<string, string>): string[][] {
  const commands: string[][] = [];
  let words: string[] = [];
  let word: string | undefined;
  const expand = (i: number): [string, number] => {
    const m = /^\$(?:\{(\w+)\}|(\w+))/.exec(script.slice(i));
    if (!m) return ['$', i + 1];
    const name = (m[1] ?? m[2])!;
    return [vars[name] ?? name.toLowerCase(), i + m[0].length];
  };
  const endWord = () => {
    if (word !== undefined) words.push(word);
    word = undefined;
  };
  const endCommand = () => {
    endWord();
    // An assignment counts for the commands after it.
    const assignment = words.length === 1 ? /^([A-Za-z_]\w*)=(.*)$/s.exec(words[0]!) : null;
    if (assignment) vars[assignment[1]!] = assignment[2]!;
    else if (words.length) commands.push(words);
    words = [];
  };
  for (let i = 0; i < script.length; ) {
    const ch = script[i]!;
    if (ch === '\\' && script[i + 1] === '\n') {
      i += 2; // a continued line
    } else if (ch === '\\') {
      word = (word ?? '') + script[i + 1];
      i += 2;
    } else if (ch === "'") {
      const end = script.indexOf("'", i + 1);
      word = (word ?? '') + script.slice(i + 1, end);
      i = end + 1;
    } else if (ch === '"') {
      word ??= '';
      for (i++; script[i] !== '"'; ) {
        if (script[i] === '\\' && '"\\$`'.includes(script[i + 1]!)) {
          word += script[i + 1];
          i += 2;
        } else if (script[i] === '$') {
          const [value, next] = expand(i);
          word += value;
          i = next;
        } else {
          word += script[i++];
        }
      }
      i++;
    } else if (ch === '$') {
      const [value, next] = expand(i);
      word = (word ?? '') + value;
      i = next;
    } else if (ch === '#' && word === undefined) {
      const eol = script.indexOf('\n', i);
      i = eol === -1 ? script.length : eol;
    } else if (' \t'.includes(ch)) {
      endWord();
      i++;
    } else if ('\n;|&><'.includes(ch)) {
      // After a redirection or pipe the rest is another command: only the curl part matters.
      endCommand();
      i++;
    } else {
      word = (word ?? '') + ch;
      i++;
    }
  }
  endCommand();
  return commands;
}

function curl(args: string[]): Example {
  let method: string | undefined;
  let body: string | undefined;
  let url = '';
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg.startsWith('--')) {
      if (['--data', '--data-raw', '--request', '--header', '--output'].includes(arg)) {
        const value = args[++i]!;
        if (arg === '--request') method = value;
        if (arg.startsWith('--data')) body = value;
      }
    } else if (arg.startsWith('-') && arg.length > 1) {
      const last = arg[arg.length - 1]!;
      if ('HXdo'.includes(last)) {
        const value = args[++i]!;
        if (last === 'X') method = value;
        if (last === 'd') body = value;
      }
    } else url = arg;
  }
  if (!URL.canParse(url)) throw new Error(`curl without a URL: ${JSON.stringify(args)}`);
  const parsed = new URL(url);
  return { method: method ?? (body !== undefined ? 'POST' : 'GET'), path: parsed.pathname + parsed.search, ...(body !== undefined ? { body } : {}) };
}

/** The document's operation for a concrete request path. */
function operationFor(method: string, path: string): any {
  const pathname = path.split('?')[0]!;
  for (const [template, item] of Object.entries<any>(doc.paths)) {
    const pattern = new RegExp(`^${template.replace(/\{\w+\}/g, '[^/]+')}$`);
    if (pattern.test(pathname) && item[method.toLowerCase()]) return item[method.toLowerCase()];
  }
  return undefined;
}

describe("the example requests of the README and docs/", () => {
  // The README first: its blocks set $API and $H, which the examples in docs/ use too.
  const docs = readdirSync(new URL('../../docs/', import.meta.url)).filter((f) => f.endsWith('.md')).sort();
  const pages = [new URL('../../README.md', import.meta.url), ...docs.map((f) => new URL(`../../docs/${f}`, import.meta.url))];
  const examples = readmeExamples(pages.map((page) => readFileSync(page, 'utf8')).join('\n'));

  it('are found', () => {
    expect(examples.length).toBeGreaterThanOrEqual(10);
    expect(examples.filter((e) => e.body).length).toBeGreaterThanOrEqual(4);
  });

  it('name routes of the document, with bodies and query parameters its schemas accept', () => {
    const compiler = ajv();
    const problems: string[] = [];
    for (const example of examples) {
      const where = `${example.method} ${example.path}`;
      const op = operationFor(example.method, example.path);
      if (!op) {
        problems.push(`${where}: no such route in the document`);
        continue;
      }
      if (example.body !== undefined) {
        const schema = op.requestBody?.content['application/json']?.schema;
        const validate = schema && compiler.compile(schema);
        if (!validate) problems.push(`${where}: the route takes no body`);
        else if (!validate(JSON.parse(example.body))) problems.push(`${where}: ${compiler.errorsText(validate.errors)}`);
      }
      for (const [name, value] of new URLSearchParams(example.path.split('?')[1] ?? '')) {
        const param = (op.parameters ?? []).find((p: any) => p.in === 'query' && p.name === name);
        const validate = param && compiler.compile(param.schema);
        if (!validate || !validate(value)) problems.push(`${where}: query parameter ${name}=${value} is not accepted`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('would fail validation when wrong (the check is not vacuous)', () => {
    const create = examples.find((e) => e.method === 'POST' && /\/clusters$/.test(e.path) && e.body)!;
    const validate = ajv().compile(operationFor('POST', create.path).requestBody.content['application/json'].schema);
    expect(validate(JSON.parse(create.body!))).toBe(true);
    expect(validate({ ...JSON.parse(create.body!), provider: 'ibm' })).toBe(false);
  });
});

describe('/docs', () => {
  it('serves Swagger UI from local assets, reading /openapi.json without a token', async () => {
    const page = await fetch(`${baseUrl}/docs`);
    expect([page.status, page.headers.get('content-type')]).toEqual([200, expect.stringContaining('text/html')]);
    const html = await page.text();
    expect(html).not.toMatch(/https?:\/\//);
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets).toEqual(expect.arrayContaining(['/docs/swagger-ui.css', '/docs/swagger-ui-bundle.js', '/docs/swagger-initializer.js']));
    for (const asset of assets) {
      const res = await fetch(`${baseUrl}${asset}`);
      expect([asset, res.status]).toEqual([asset, 200]);
      expect((await res.text()).length).toBeGreaterThan(0);
    }
    expect(await (await fetch(`${baseUrl}/docs/swagger-initializer.js`)).text()).toContain("url: '/openapi.json'");
    expect((await fetch(`${baseUrl}/openapi.json`)).headers.get('content-type')).toContain('application/json');
  });
});
