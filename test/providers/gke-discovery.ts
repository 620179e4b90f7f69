import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * GKE's REST surface as its discovery document (test/fixtures/gke) defines it:
 * which HTTP method and path is which API method, and which JSON fields each
 * request and response may hold. The fake GKE checks every request the real
 * SDK sends against it, and every answer it gives.
 *
 * One thing the discovery document cannot say is the number of an enum
 * value: the SDK always asks for `$alt=json;enum-encoding=int` and sends
 * enums as numbers, which are proto field numbers (not positions in the
 * discovery `enum` list; they differ for some enums). Those numbers come from
 * the proto definitions the SDK ships, walked in step with the schemas.
 */

export const GKE_FIXTURES = new URL('../fixtures/gke/', import.meta.url);

export interface Schema {
  id?: string;
  $ref?: string;
  type?: string;
  format?: string;
  description?: string;
  readOnly?: boolean;
  enum?: string[];
  properties?: Record<string, Schema>;
  additionalProperties?: Schema;
  items?: Schema;
}

interface Parameter {
  location: 'path' | 'query';
  type: string;
  pattern?: string;
  required?: boolean;
  enum?: string[];
}

interface Method {
  id: string;
  httpMethod: string;
  path: string;
  flatPath: string;
  parameters?: Record<string, Parameter>;
  request?: { $ref: string };
  response?: { $ref: string };
}

interface Resource {
  methods?: Record<string, Method>;
  resources?: Record<string, Resource>;
}

interface DiscoveryDocument {
  parameters: Record<string, Parameter>;
  resources: Record<string, Resource>;
  schemas: Record<string, Schema>;
}

export interface MatchedMethod {
  method: Method;
  /** `projects.locations.clusters.nodePools` */
  resource: string;
  /** `setSize` */
  name: string;
  /** Values of the flat path's variables (projectsId, locationsId, clustersId, …). */
  vars: Record<string, string>;
  /** Values of the path template's parameters (`name`, `parent`). */
  params: Record<string, string>;
}

export interface Walked {
  value: any;
  problems: string[];
}

export class Discovery {
  readonly doc: DiscoveryDocument;
  private readonly routes: { method: Method; resource: string; name: string; flat: RegExp; vars: string[] }[] = [];
  private readonly protos = new ProtoTypes();

  constructor(url = new URL('container-v1-discovery.json', GKE_FIXTURES)) {
    this.doc = JSON.parse(readFileSync(url, 'utf8')) as DiscoveryDocument;
    const visit = (resources: Record<string, Resource>, prefix: string) => {
      for (const [resourceName, resource] of Object.entries(resources)) {
        const path = prefix ? `${prefix}.${resourceName}` : resourceName;
        for (const [name, method] of Object.entries(resource.methods ?? {})) {
          const vars: string[] = [];
          const flat = templateRegex(method.flatPath, (v) => (vars.push(v), '([^/:]+)'));
          this.routes.push({ method, resource: path, name, flat, vars });
        }
        visit(resource.resources ?? {}, path);
      }
    };
    visit(this.doc.resources, '');
  }

  schema(name: string): Schema {
    const schema = this.doc.schemas[name];
    if (!schema) throw new Error(`discovery document has no schema ${name}`);
    return schema;
  }

  /** The method an HTTP request is, with the problems of its path parameters (patterns). */
  match(httpMethod: string, path: string): { matched?: MatchedMethod; problems: string[] } {
    const relative = path.replace(/^\//, '');
    for (const route of this.routes) {
      if (route.method.httpMethod !== httpMethod) continue;
      const m = route.flat.exec(relative);
      if (!m) continue;
      const vars = Object.fromEntries(route.vars.map((v, i) => [v, decodeURIComponent(m[i + 1]!)]));
      const names: string[] = [];
      const full = templateRegex(route.method.path, (v) => (names.push(v.replace(/^\+/, '')), v.startsWith('+') ? '(.+)' : '([^/]+)')).exec(relative);
      const params = Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(full?.[i + 1] ?? '')]));
      const problems: string[] = [];
      for (const [name, value] of Object.entries(params)) {
        const pattern = route.method.parameters?.[name]?.pattern;
        if (pattern && !new RegExp(pattern).test(value)) problems.push(`path parameter ${name}=${value} does not match ${pattern}`);
      }
      return { matched: { method: route.method, resource: route.resource, name: route.name, vars, params }, problems };
    }
    return { problems: [`${httpMethod} /${relative} is no method of the discovery document`] };
  }

  /** Query parameters the method and the API declare; `$alt` is the system parameter the SDK uses for numeric enums. */
  queryProblems(method: Method, query: URLSearchParams): string[] {
    const problems: string[] = [];
    for (const [name, value] of query) {
      if (name === '$alt') {
        if (!['json', 'json;enum-encoding=int'].includes(value)) problems.push(`query $alt=${value} is not json or json;enum-encoding=int`);
        continue;
      }
      const declared = method.parameters?.[name] ?? this.doc.parameters[name];
      if (!declared || declared.location !== 'query') problems.push(`query parameter ${name} is not declared for ${method.id}`);
      else if (declared.enum && !declared.enum.includes(value)) problems.push(`query ${name}=${value} is not one of ${declared.enum.join(', ')}`);
    }
    return problems;
  }

  /**
   * Checks a request body against its schema: every field name must be
   * declared (nested objects included), none output-only, every value of its
   * declared type; numeric enums (with `enumInts`) are decoded to their names.
   */
  readRequest(body: unknown, schemaName: string, enumInts: boolean): Walked {
    const problems: string[] = [];
    const value = this.walk(body, { $ref: schemaName }, this.protos.message(schemaName), schemaName, { inbound: true, enumInts, problems });
    // "Required." fields, from the descriptions (the discovery format has no flag for them). Numbers and
    // booleans are left out: proto3 JSON leaves a zero or false out, so absence is a legitimate value.
    for (const [name, prop] of Object.entries(this.schema(schemaName).properties ?? {})) {
      const scalar = prop.type === 'integer' || prop.type === 'boolean' || prop.type === 'number';
      if (!scalar && prop.description?.startsWith('Required.') && (body as Record<string, unknown> | undefined)?.[name] === undefined) {
        problems.push(`${schemaName}.${name} is required`);
      }
    }
    return { value, problems };
  }

  /** Checks a response against its schema and encodes its enums as the request asked (names, or numbers). */
  writeResponse(body: unknown, schemaName: string, enumInts: boolean): Walked {
    const problems: string[] = [];
    const value = this.walk(body, { $ref: schemaName }, this.protos.message(schemaName), schemaName, { inbound: false, enumInts, problems });
    return { value, problems };
  }

  private walk(value: unknown, schema: Schema, proto: ProtoRef | undefined, at: string, ctx: WalkContext): unknown {
    if (schema.$ref) return this.walk(value, this.schema(schema.$ref), proto, at, ctx);
    if (schema.enum) return this.walkEnum(value, schema.enum, proto, at, ctx);
    const problem = (message: string) => (ctx.problems.push(`${at}: ${message}`), value);
    switch (schema.type) {
      case 'object': {
        if (!isObject(value)) return problem(`expected an object, got ${JSON.stringify(value)}`);
        const out: Record<string, unknown> = {};
        for (const [key, v] of Object.entries(value)) {
          if (schema.properties) {
            const prop = schema.properties[key];
            if (!prop) {
              ctx.problems.push(`${at}.${key}: no such field in ${schema.id ?? 'the schema'}`);
              continue;
            }
            if (ctx.inbound && prop.readOnly) ctx.problems.push(`${at}.${key}: output only, not for requests`);
            out[key] = this.walk(v, prop, proto && this.protos.field(proto, key), `${at}.${key}`, ctx);
          } else if (schema.additionalProperties) {
            // A map field's proto type is the type of its values.
            out[key] = this.walk(v, schema.additionalProperties, proto, `${at}[${JSON.stringify(key)}]`, ctx);
          } else {
            out[key] = v;
          }
        }
        return out;
      }
      case 'array':
        if (!Array.isArray(value)) return problem(`expected an array, got ${JSON.stringify(value)}`);
        return value.map((item, i) => this.walk(item, schema.items ?? {}, proto, `${at}[${i}]`, ctx));
      case 'string':
        if (schema.format === 'int64' || schema.format === 'uint64') {
          // proto3 JSON writes 64-bit integers as strings, and reads numbers too.
          if (!(typeof value === 'string' && /^-?\d+$/.test(value)) && !Number.isInteger(value)) return problem(`expected an ${schema.format}, got ${JSON.stringify(value)}`);
          return value;
        }
        return typeof value === 'string' ? value : problem(`expected a string, got ${JSON.stringify(value)}`);
      case 'integer':
        return Number.isInteger(value) || (typeof value === 'string' && /^-?\d+$/.test(value)) ? value : problem(`expected an integer, got ${JSON.stringify(value)}`);
      case 'number':
        return typeof value === 'number' ? value : problem(`expected a number, got ${JSON.stringify(value)}`);
      case 'boolean':
        return typeof value === 'boolean' ? value : problem(`expected a boolean, got ${JSON.stringify(value)}`);
      case 'any':
        return value;
      default:
        return problem(`schema type ${schema.type} is not understood`);
    }
  }

  private walkEnum(value: unknown, names: string[], proto: ProtoRef | undefined, at: string, ctx: WalkContext): unknown {
    const numbers = proto?.node.values;
    if (ctx.inbound && typeof value === 'number') {
      if (!ctx.enumInts) return ctx.problems.push(`${at}: a numeric enum without $alt=json;enum-encoding=int`), value;
      const name = numbers && Object.keys(numbers).find((n) => numbers[n] === value);
      if (!name || !names.includes(name)) return ctx.problems.push(`${at}: ${value} is no value of the enum (${names.join(', ')})`), value;
      return name;
    }
    if (typeof value !== 'string' || !names.includes(value)) return ctx.problems.push(`${at}: ${JSON.stringify(value)} is not one of ${names.join(', ')}`), value;
    if (ctx.inbound || !ctx.enumInts) return value;
    if (numbers?.[value] === undefined) return ctx.problems.push(`${at}: no proto number for ${value}`), value;
    return numbers[value];
  }
}

interface WalkContext {
  /** A request (checked, enums decoded to names) rather than a response (checked, enums encoded). */
  inbound: boolean;
  enumInts: boolean;
  problems: string[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function templateRegex(template: string, variable: (name: string) => string): RegExp {
  let source = '';
  for (const part of template.split(/(\{[^}]+\})/)) {
    source += part.startsWith('{') ? variable(part.slice(1, -1)) : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/* ---------- proto definitions, for enum numbers only ---------- */

interface ProtoNode {
  fields?: Record<string, { type: string }>;
  values?: Record<string, number>;
  nested?: Record<string, ProtoNode>;
}

interface ProtoRef {
  path: string[];
  node: ProtoNode;
}

/** google.container.v1 from the protos.json the SDK ships; types resolved as protobuf scopes them. */
class ProtoTypes {
  private readonly root: ProtoNode;

  constructor() {
    const require = createRequire(import.meta.url);
    const file = join(dirname(require.resolve('@google-cloud/container/package.json')), 'build/protos/protos.json');
    const json = JSON.parse(readFileSync(file, 'utf8')) as { nested: Record<string, ProtoNode> };
    this.root = json.nested.google!.nested!.container!.nested!.v1!;
  }

  message(name: string): ProtoRef | undefined {
    const node = this.root.nested?.[name];
    return node ? { path: [name], node } : undefined;
  }

  /** The type of a message's field: of its elements if repeated, of its values if a map. */
  field(message: ProtoRef, name: string): ProtoRef | undefined {
    const field = message.node.fields?.[name];
    return field ? this.resolve(field.type, message.path) : undefined;
  }

  private resolve(type: string, scope: string[]): ProtoRef | undefined {
    const segments = type.split('.');
    for (let depth = scope.length; depth >= 0; depth--) {
      let node: ProtoNode | undefined = this.root;
      for (const part of [...scope.slice(0, depth), ...segments]) node = node?.nested?.[part];
      if (node) return { path: [...scope.slice(0, depth), ...segments], node };
    }
    return undefined;
  }
}
