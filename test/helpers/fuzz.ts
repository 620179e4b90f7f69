import fc from 'fast-check';
import { formatPath } from '../../src/domain/problems.js';

// Requests for the API fuzzer (test/api/fuzz.test.ts): bodies made from the
// routes' JSON Schemas (the OpenAPI document, itself made from the zod
// schemas), valid-ish or with one thing broken, and what the API must answer.

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
}

type Path = (string | number)[];

/** Generators for properties by name, where a schema cannot say what a good value is (DNS labels, existing resources). */
export type Hints = Record<string, fc.Arbitrary<unknown>>;

/** Strings that have broken parsers, path handling and shells elsewhere. */
export const nastyStrings = fc.constantFrom(
  '',
  ' ',
  '\u0000',
  '\n',
  '../../../../etc/passwd',
  '..',
  '%2e%2e%2f',
  '__proto__',
  'constructor',
  'toString',
  '${7*7}',
  "'; DROP TABLE clusters; --",
  "' OR FlotillaOrg != '",
  '--help',
  '-rf',
  '$(reboot)',
  '😀🚀',
  '\u202e\u0645\u0631\u062d\u0628\u0627',
  'a'.repeat(64),
  'A',
  '1e309',
  'null',
);

const anyJson = fc.jsonValue({ maxDepth: 3 });

function typesOf(schema: JsonSchema): string[] {
  if (schema.const !== undefined) return [typeof schema.const];
  if (schema.enum) return [...new Set(schema.enum.map((v) => typeof v))];
  return schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];
}

/** Values that usually satisfy `schema` (refinements aside). */
export function validish(schema: JsonSchema, hints: Hints = {}): fc.Arbitrary<unknown> {
  const branches = schema.oneOf ?? schema.anyOf;
  if (branches) return fc.oneof(...branches.map((b) => validish(b, hints)));
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  switch (typesOf(schema)[0]) {
    case 'object': {
      if (schema.properties) {
        const model = Object.fromEntries(Object.entries(schema.properties).map(([name, sub]) => [name, hints[name] ?? validish(sub, hints)]));
        // Optional properties mostly present (a hint of undefined leaves one out), all but one at most.
        const optional = Object.keys(model).filter((k) => !schema.required?.includes(k));
        return fc.tuple(fc.record(model), fc.subarray(optional, { maxLength: Math.min(1, optional.length) })).map(([record, dropped]) =>
          Object.fromEntries(Object.entries(record).filter(([k]) => !dropped.includes(k))),
        );
      }
      const values = typeof schema.additionalProperties === 'object' ? validish(schema.additionalProperties, hints) : anyJson;
      return fc.dictionary(schema.propertyNames ? (validish(schema.propertyNames) as fc.Arbitrary<string>) : fc.string({ maxLength: 10 }), values, { maxKeys: 3 });
    }
    case 'array':
      // One item at least: an empty list is rarely what a route is for (hints say where it is).
      return fc.array(schema.items ? validish(schema.items, hints) : anyJson, { minLength: schema.minItems ?? Math.min(1, schema.maxItems ?? 1), maxLength: Math.min(schema.maxItems ?? 3, 3) });
    case 'string':
      if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern));
      if (schema.format === 'uri') return fc.webUrl();
      return fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 20, 20) });
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -5, max: Math.min(schema.maximum ?? 50, 50) });
    case 'number':
      return fc.double({ min: schema.minimum ?? -50, max: Math.min(schema.maximum ?? 50, 50), noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    default:
      return anyJson;
  }
}

/** The branch of a oneOf that a value takes (by its `const` properties, as a discriminated union picks). */
function branchFor(schema: JsonSchema, value: unknown): JsonSchema {
  const branches = schema.oneOf ?? schema.anyOf;
  if (!branches) return schema;
  const record = (value ?? {}) as Record<string, unknown>;
  return branches.find((b) => Object.entries(b.properties ?? {}).every(([k, p]) => p.const === undefined || record[k] === p.const)) ?? branches[0]!;
}

/** A place in a body that can be broken. */
interface Slot {
  path: Path;
  schema: JsonSchema;
  present: boolean;
  required: boolean;
  /** The slot is a property of an object that takes no other properties. */
  inStrictObject: boolean;
}

function slotsOf(value: unknown, schema: JsonSchema, path: Path, out: Slot[]): Slot[] {
  const s = branchFor(schema, value);
  if (typesOf(s)[0] === 'object' && s.properties && value && typeof value === 'object' && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    for (const [name, sub] of Object.entries(s.properties)) {
      const slot = { path: [...path, name], schema: sub, present: name in record, required: s.required?.includes(name) ?? false, inStrictObject: s.additionalProperties === false };
      out.push(slot);
      if (slot.present) slotsOf(record[name], sub, slot.path, out);
    }
  } else if (typesOf(s)[0] === 'array' && Array.isArray(value) && s.items) {
    value.forEach((item, i) => {
      out.push({ path: [...path, i], schema: s.items!, present: true, required: true, inStrictObject: false });
      slotsOf(item, s.items!, [...path, i], out);
    });
  }
  return out;
}

/** A body with one thing broken, and the field a 400 must name (undefined: any answer but a 5xx will do). */
export interface BrokenBody {
  body: unknown;
  how: string;
  field?: string;
}

const wrongTypeValues: Record<string, unknown[]> = {
  string: [42, true, null, [], {}],
  integer: ['7', 1.5, true, null, [], {}],
  number: ['7', true, null, {}],
  boolean: ['true', 0, null, []],
  array: ['[]', {}, 1, null],
  object: ['{}', [], 1, null],
};

function setAt(root: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = Array.isArray(root) ? [...root] : { ...(root as Record<string, unknown>) };
  const [head, ...rest] = path;
  // defineProperty: `__proto__` and friends become own properties, as JSON.parse makes them on the server.
  Object.defineProperty(copy, head!, { value: setAt((root as Record<string | number, unknown>)[head!], rest, value), enumerable: true, writable: true, configurable: true });
  return copy;
}

function removeAt(root: unknown, path: Path): unknown {
  const parentPath = path.slice(0, -1);
  const key = path[path.length - 1]!;
  let parent = root as Record<string | number, unknown>;
  for (const p of parentPath) parent = parent[p] as Record<string | number, unknown>;
  const { [key]: _removed, ...rest } = parent;
  return setAt(root, parentPath, rest);
}

function nested(levels: number): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < levels; i++) value = i % 2 ? [value] : { d: value };
  return value;
}

/** A valid-ish body for `schema`, with one slot broken in one of several ways. */
export function brokenBody(schema: JsonSchema, hints: Hints, bodyDepthLimit: number): fc.Arbitrary<BrokenBody> {
  return validish(schema, hints).chain((body) => {
    const slots = slotsOf(body, schema, [], []);
    const choices: fc.Arbitrary<BrokenBody>[] = [
      // Far deeper than the body depth limit, anywhere: refused naming a path inside the slot.
      fc.tuple(fc.constantFrom(...slots.filter((s) => s.path.length < 8)), fc.integer({ min: bodyDepthLimit + 5, max: 800 })).map(([slot, levels]) => ({
        body: setAt(body, slot.path, nested(levels)),
        how: `nested ${levels} deep at ${formatPath(slot.path)}`,
        field: formatPath(slot.path),
      })),
    ];
    const typed = slots.filter((s) => typesOf(s.schema).length === 1 && wrongTypeValues[typesOf(s.schema)[0]!] && !s.schema.oneOf);
    if (typed.length) {
      choices.push(
        fc.constantFrom(...typed).chain((slot) =>
          fc.constantFrom(...wrongTypeValues[typesOf(slot.schema)[0]!]!).map((wrong) => ({
            body: setAt(body, slot.path, wrong),
            how: `${JSON.stringify(wrong)} for ${formatPath(slot.path)}`,
            field: formatPath(slot.path),
          })),
        ),
      );
    }
    const strings = slots.filter((s) => typesOf(s.schema)[0] === 'string' && !s.schema.enum && s.schema.const === undefined);
    if (strings.length) {
      choices.push(
        fc.tuple(fc.constantFrom(...strings), nastyStrings).map(([slot, nasty]) => ({ body: setAt(body, slot.path, nasty), how: `${JSON.stringify(nasty)} for ${formatPath(slot.path)}` })),
        fc.tuple(fc.constantFrom(...strings), fc.integer({ min: 1, max: 100_000 })).map(([slot, extra]) => {
          const limited = slot.schema.maxLength !== undefined;
          return {
            body: setAt(body, slot.path, 'x'.repeat((slot.schema.maxLength ?? 1000) + extra)),
            how: `a string of ${(slot.schema.maxLength ?? 1000) + extra} characters for ${formatPath(slot.path)}`,
            ...(limited ? { field: formatPath(slot.path) } : {}),
          };
        }),
      );
    }
    const numbers = slots.filter((s) => ['integer', 'number'].includes(typesOf(s.schema)[0]!));
    if (numbers.length) {
      choices.push(
        fc.tuple(fc.constantFrom(...numbers), fc.constantFrom(-1, -1e9, 1.5, 2 ** 53, 1e300, 0)).map(([slot, n]) => {
          const bad = (slot.schema.minimum !== undefined && n < slot.schema.minimum) || (slot.schema.maximum !== undefined && n > slot.schema.maximum) || (slot.schema.type === 'integer' && !Number.isInteger(n));
          return { body: setAt(body, slot.path, n), how: `${n} for ${formatPath(slot.path)}`, ...(bad ? { field: formatPath(slot.path) } : {}) };
        }),
      );
    }
    const required = slots.filter((s) => s.required && s.present && typeof s.path[s.path.length - 1] === 'string');
    if (required.length) {
      choices.push(fc.constantFrom(...required).map((slot) => ({ body: removeAt(body, slot.path), how: `without ${formatPath(slot.path)}`, field: formatPath(slot.path) })));
    }
    const strictParents = [...new Map(slots.filter((s) => s.inStrictObject).map((s) => [formatPath(s.path.slice(0, -1)), s.path.slice(0, -1)])).values()];
    if (strictParents.length) {
      choices.push(
        fc.tuple(fc.constantFrom(...strictParents), fc.constantFrom('colour', '__proto__', 'constructor', 'nodepools', 'Name', 'a.b', '😀'), anyJson).map(([parent, key, value]) => ({
          body: setAt(body, [...parent, key], value),
          how: `unknown field ${formatPath([...parent, key])}`,
          field: formatPath([...parent, key]),
        })),
      );
    }
    return fc.oneof(...choices);
  });
}

/** Whether an error detail's field is `field` or lies inside it. */
export function namesField(detailField: string, field: string): boolean {
  return field === '' || detailField === field || detailField.startsWith(`${field}.`) || detailField.startsWith(`${field}[`);
}
