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
 * The values for one target: `base` deep-merged with `override` (DESIGN
 * decision 5). Maps merge recursively; scalars and lists in the override
 * replace. Neither input is changed.
 */
export function mergeValues(base: Values, override: Values | undefined): Values {
  const merged: Values = { ...base };
  for (const [key, value] of Object.entries(override ?? {})) {
    const current = merged[key];
    merged[key] = isMap(current) && isMap(value) ? mergeValues(current, value) : clone(value);
  }
  return merged;
}
