import type { Problem } from './problems.js';

/** A Helm values document: JSON objects all the way down. */
export type Values = { [key: string]: unknown };

function isMap(value: unknown): value is Values {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// JSON, not structuredClone: this runs in the workflow sandbox too, which has no structuredClone.
function clone(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

/**
 * The values for one target: `base` deep-merged with `override`
 * (docs/architecture.md, decision 5). Maps merge recursively; scalars and
 * lists in the override replace. Neither input is changed.
 */
export function mergeValues(base: Values, override: Values | undefined): Values {
  const merged: Values = { ...base };
  for (const [key, value] of Object.entries(override ?? {})) {
    const current = merged[key];
    merged[key] = isMap(current) && isMap(value) ? mergeValues(current, value) : clone(value);
  }
  return merged;
}

/**
 * Limits on one values document (the deployment's `values`, or one cluster's
 * override): the spec travels in workflow inputs, updates and memos, which
 * Temporal caps at a few MB.
 */
export const MAX_VALUES_BYTES = 128 * 1024;
export const MAX_VALUES_DEPTH = 32;

interface Visit {
  value: unknown;
  /** Containers above this value. */
  above: number;
  key?: string | number;
  parent?: Visit;
}

/**
 * The path to the first object or array nested deeper than `max` levels (`{}`
 * is one level), or undefined when none is. Walked without recursion, so
 * hostile input cannot overflow the stack.
 */
export function pathDeeperThan(value: unknown, max: number): (string | number)[] | undefined {
  const pending: Visit[] = [{ value, above: 0 }];
  while (pending.length > 0) {
    const visit = pending.pop()!;
    if (visit.value === null || typeof visit.value !== 'object') continue;
    if (visit.above + 1 > max) {
      const path: (string | number)[] = [];
      for (let at: Visit | undefined = visit; at?.parent; at = at.parent) path.unshift(at.key!);
      return path;
    }
    const entries: [string | number, unknown][] = Array.isArray(visit.value) ? visit.value.map((v, i) => [i, v]) : Object.entries(visit.value);
    for (const [key, child] of entries) pending.push({ value: child, above: visit.above + 1, key, parent: visit });
  }
  return undefined;
}

// Counted by hand: the workflow sandbox has neither Buffer nor TextEncoder.
function utf8Bytes(text: string): number {
  let bytes = 0;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes;
}

/** What is wrong with a values document's size or depth (run by the API and by the deployment workflow's validator). */
export function valuesProblems(values: Values, path: Problem['path']): Problem[] {
  const deep = pathDeeperThan(values, MAX_VALUES_DEPTH);
  if (deep) return [{ path: [...path, ...deep], message: `nested deeper than ${MAX_VALUES_DEPTH} levels` }];
  const bytes = utf8Bytes(JSON.stringify(values));
  if (bytes > MAX_VALUES_BYTES) return [{ path, message: `${bytes} bytes of JSON; at most ${MAX_VALUES_BYTES}` }];
  return [];
}
