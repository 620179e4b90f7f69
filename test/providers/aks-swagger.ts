import { readFileSync } from 'node:fs';

/**
 * The AKS swagger (official fixture) as a contract checker: which operation a
 * request is, whether its path parameters, query and body are ones the
 * swagger declares. A request the real SDK sends that the swagger does not
 * describe is a contract violation.
 */

type Schema = Record<string, any>;

export interface SwaggerOperation {
  method: string;
  template: string;
  operationId: string;
  /** Path parameters, by name. */
  params: Record<string, string>;
  op: Schema;
}

/**
 * The few definitions and parameters the AKS swagger takes from Azure's
 * common types (`common-types/resource-management/v5/types.json`), which the
 * fixtures do not include. Copied from Azure/azure-rest-api-specs (MIT) at
 * commit 05432ee0bc8a3feb5bc0f6fd21f49bb7aeaf13af, trimmed to the fields that
 * matter here (types, readOnly, required, patterns).
 */
const COMMON_TYPES: { definitions: Record<string, Schema>; parameters: Record<string, Schema> } = {
  definitions: {
    Resource: {
      type: 'object',
      properties: {
        id: { type: 'string', readOnly: true },
        name: { type: 'string', readOnly: true },
        type: { type: 'string', readOnly: true },
        systemData: { $ref: '#/definitions/systemData', readOnly: true },
      },
    },
    TrackedResource: {
      type: 'object',
      properties: {
        tags: { type: 'object', additionalProperties: { type: 'string' } },
        location: { type: 'string' },
      },
      required: ['location'],
      allOf: [{ $ref: '#/definitions/Resource' }],
    },
    ProxyResource: { type: 'object', allOf: [{ $ref: '#/definitions/Resource' }] },
    systemData: {
      type: 'object',
      properties: {
        createdBy: { type: 'string' },
        createdByType: { type: 'string' },
        createdAt: { type: 'string' },
        lastModifiedBy: { type: 'string' },
        lastModifiedByType: { type: 'string' },
        lastModifiedAt: { type: 'string' },
      },
    },
  },
  parameters: {
    ApiVersionParameter: { name: 'api-version', in: 'query', required: true, type: 'string', minLength: 1 },
    SubscriptionIdParameter: { name: 'subscriptionId', in: 'path', required: true, type: 'string', format: 'uuid' },
    ResourceGroupNameParameter: { name: 'resourceGroupName', in: 'path', required: true, type: 'string', minLength: 1, maxLength: 90, pattern: '^[-\\w\\._\\(\\)]+$' },
    LocationParameter: { name: 'location', in: 'path', required: true, type: 'string', minLength: 1 },
  },
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class Swagger {
  readonly doc: Schema;
  readonly apiVersion: string;
  private readonly templates: { method: string; template: string; segments: string[]; op: Schema }[] = [];

  constructor(file: URL) {
    this.doc = JSON.parse(readFileSync(file, 'utf8'));
    // The swagger's operations all take the common ApiVersionParameter, whose value is the document's version.
    this.apiVersion = this.doc.info.version;
    for (const [template, ops] of Object.entries<Schema>(this.doc.paths)) {
      for (const [method, op] of Object.entries<Schema>(ops)) {
        if (method === 'parameters') continue;
        this.templates.push({ method: method.toUpperCase(), template, segments: template.split('/'), op });
      }
    }
  }

  /** The swagger operation for a request path (case-sensitive, as the swagger spells it), if any. */
  match(method: string, path: string): SwaggerOperation | undefined {
    const segments = path.split('/');
    for (const t of this.templates) {
      if (t.method !== method || t.segments.length !== segments.length) continue;
      const params: Record<string, string> = {};
      const ok = t.segments.every((s, i) => {
        const param = /^\{(.+)\}$/.exec(s);
        if (param) {
          params[param[1]!] = decodeURIComponent(segments[i]!);
          return segments[i] !== '';
        }
        return s === segments[i];
      });
      if (ok) return { method, template: t.template, operationId: t.op.operationId, params, op: t.op };
    }
    return undefined;
  }

  /** Every way the request breaks the operation's declared parameters and body schema. */
  check(match: SwaggerOperation, query: URLSearchParams, body: unknown): string[] {
    const problems: string[] = [];
    const parameters = (match.op.parameters as Schema[]).map((p) => this.parameter(p));
    for (const [name, value] of Object.entries(match.params)) {
      const p = parameters.find((x) => x.in === 'path' && x.name === name);
      if (!p) problems.push(`path parameter ${name} is not declared`);
      else problems.push(...scalarProblems(`path ${name}`, value, p));
    }
    for (const [name, value] of query) {
      const p = parameters.find((x) => x.in === 'query' && x.name === name);
      if (!p) problems.push(`query parameter ${name} is not declared`);
      else problems.push(...scalarProblems(`query ${name}`, value, p));
    }
    for (const p of parameters.filter((x) => x.in === 'query' && x.required)) {
      if (!query.has(p.name)) problems.push(`required query parameter ${p.name} is missing`);
    }
    const bodyParam = parameters.find((x) => x.in === 'body');
    if (bodyParam) {
      if (body === undefined) {
        if (bodyParam.required) problems.push('required body is missing');
      } else {
        this.walk(body, bodyParam.schema, 'body', problems);
      }
    } else if (body !== undefined) {
      problems.push('the operation takes no body');
    }
    return problems;
  }

  private parameter(p: Schema): Schema {
    if (!p.$ref) return p;
    const [file, pointer] = (p.$ref as string).split('#');
    const name = pointer!.replace('/parameters/', '');
    if (!file) return this.doc.parameters[name];
    if (file.endsWith('common-types/resource-management/v5/types.json') && COMMON_TYPES.parameters[name]) return COMMON_TYPES.parameters[name]!;
    throw new Error(`unresolvable parameter ${p.$ref}`);
  }

  /** A schema with its `$ref` followed; external references outside the embedded common types cannot be followed. */
  private resolve(schema: Schema, from: 'aks' | 'common' = 'aks'): { schema: Schema; from: 'aks' | 'common' } | undefined {
    if (!schema.$ref) return { schema, from };
    const [file, pointer] = (schema.$ref as string).split('#');
    const name = pointer!.replace('/definitions/', '');
    if (!file) {
      const doc = from === 'aks' ? this.doc.definitions : COMMON_TYPES.definitions;
      const target = doc[name];
      return target ? this.resolve(target, from) : undefined;
    }
    if (file.endsWith('common-types/resource-management/v5/types.json') && COMMON_TYPES.definitions[name]) {
      return this.resolve(COMMON_TYPES.definitions[name]!, 'common');
    }
    return undefined;
  }

  /** Properties of a schema with those of its `allOf` parents, and what is required. */
  private flatten(schema: Schema, from: 'aks' | 'common'): { properties: Record<string, { schema: Schema; from: 'aks' | 'common' }>; required: string[]; additional?: { schema: Schema; from: 'aks' | 'common' } } {
    const properties: Record<string, { schema: Schema; from: 'aks' | 'common' }> = {};
    const required: string[] = [...(schema.required ?? [])];
    let additional: { schema: Schema; from: 'aks' | 'common' } | undefined;
    for (const parent of schema.allOf ?? []) {
      const resolved = this.resolve(parent, from);
      if (!resolved) continue;
      const flat = this.flatten(resolved.schema, resolved.from);
      Object.assign(properties, flat.properties);
      required.push(...flat.required);
      additional ??= flat.additional;
    }
    for (const [name, s] of Object.entries<Schema>(schema.properties ?? {})) properties[name] = { schema: s, from };
    if (schema.additionalProperties && typeof schema.additionalProperties === 'object') additional = { schema: schema.additionalProperties, from };
    return { properties, required, ...(additional ? { additional } : {}) };
  }

  private walk(value: unknown, raw: Schema, at: string, problems: string[], from: 'aks' | 'common' = 'aks'): void {
    const resolved = this.resolve(raw, from);
    if (!resolved) {
      problems.push(`${at}: schema ${raw.$ref} is outside the fixtures, so the field cannot be checked`);
      return;
    }
    const schema = resolved.schema;
    const isObjectSchema = schema.type === 'object' || schema.properties || schema.allOf || schema.additionalProperties;
    if (schema.type === 'array') {
      if (!Array.isArray(value)) return void problems.push(`${at}: expected an array`);
      value.forEach((item, i) => this.walk(item, schema.items, `${at}[${i}]`, problems, resolved.from));
      return;
    }
    if (isObjectSchema) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return void problems.push(`${at}: expected an object`);
      const flat = this.flatten(schema, resolved.from);
      for (const [key, v] of Object.entries(value)) {
        const property = flat.properties[key];
        if (property) {
          if (property.schema.readOnly) problems.push(`${at}.${key}: read-only in the swagger, must not be sent`);
          this.walk(v, property.schema, `${at}.${key}`, problems, property.from);
        } else if (flat.additional) {
          this.walk(v, flat.additional.schema, `${at}.${key}`, problems, flat.additional.from);
        } else {
          problems.push(`${at}.${key}: unknown field`);
        }
      }
      for (const key of flat.required) if (!(key in value)) problems.push(`${at}.${key}: required field missing`);
      return;
    }
    problems.push(...scalarProblems(at, value, schema));
  }
}

function scalarProblems(at: string, value: unknown, schema: Schema): string[] {
  const problems: string[] = [];
  const type = schema.type as string | undefined;
  // Path and query values arrive as strings; check what they spell.
  const text = typeof value === 'string' ? value : undefined;
  if (type === 'string' && typeof value !== 'string') problems.push(`${at}: expected a string`);
  if (type === 'integer' && !(Number.isInteger(value) || (text !== undefined && /^-?\d+$/.test(text)))) problems.push(`${at}: expected an integer`);
  if (type === 'number' && typeof value !== 'number' && !(text !== undefined && Number.isFinite(Number(text)))) problems.push(`${at}: expected a number`);
  if (type === 'boolean' && typeof value !== 'boolean' && text !== 'true' && text !== 'false') problems.push(`${at}: expected a boolean`);
  if (schema.enum && schema['x-ms-enum']?.modelAsString === false && !schema.enum.includes(value)) problems.push(`${at}: ${JSON.stringify(value)} is not one of ${schema.enum.join(', ')}`);
  if (text !== undefined) {
    if (schema.pattern && !new RegExp(schema.pattern).test(text)) problems.push(`${at}: ${JSON.stringify(text)} does not match ${schema.pattern}`);
    if (schema.minLength !== undefined && text.length < schema.minLength) problems.push(`${at}: shorter than ${schema.minLength}`);
    if (schema.maxLength !== undefined && text.length > schema.maxLength) problems.push(`${at}: longer than ${schema.maxLength}`);
    if (schema.format === 'uuid' && !UUID.test(text)) problems.push(`${at}: not a UUID`);
  }
  return problems;
}
