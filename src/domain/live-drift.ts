/**
 * Live drift: how a release's objects on a cluster differ from the objects its chart rendered
 * (Helm's stored manifest). Only the fields the manifest sets are compared, so what the API
 * server or controllers add (defaults, status, Helm's own annotations) is never drift.
 */

/** A Kubernetes object as rendered or as read back, in its JSON form. */
export interface ManifestObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [field: string]: unknown };
  [field: string]: unknown;
}

/** One object of the release that is not as the chart says. */
export interface ObjectDrift {
  /** `Kind namespace/name`, or `Kind name` for a cluster-scoped object. */
  object: string;
  /** `deleted`, or the first differing field with both values (never a Secret's values). */
  change: string;
  /** How many fields differ in all (0 when deleted). */
  fields: number;
}

/** `Kind namespace/name`: how a drift reason names an object. */
export function objectName(object: ManifestObject, namespace: string | undefined): string {
  return `${object.kind} ${namespace ? `${namespace}/` : ''}${object.metadata.name}`;
}

/** The drift of one object: `live` is undefined when the object is gone. Undefined when it is as rendered. */
export function objectDrift(rendered: ManifestObject, live: ManifestObject | undefined, name: string): ObjectDrift | undefined {
  if (!live) return { object: name, change: 'deleted', fields: 0 };
  const desired = comparable(rendered);
  const paths = differences(desired, comparable(live), []);
  if (!paths.length) return undefined;
  const first = paths[0]!;
  const secret = rendered.kind === 'Secret';
  const change = secret ? `${first.path} changed` : `${first.path} is ${show(first.live)}, the chart says ${show(first.desired)}`;
  return { object: name, change, fields: paths.length };
}

/** A drift reason naming the objects, short enough for a status line. */
export function driftReason(drifts: readonly ObjectDrift[], shown = 3): string {
  const parts = drifts.slice(0, shown).map((d) => `${d.object}: ${d.change}${d.fields > 1 ? ` (+${d.fields - 1} more fields)` : ''}`);
  const more = drifts.length > shown ? `; +${drifts.length - shown} more objects` : '';
  return `live objects differ from the chart: ${parts.join('; ')}${more}`;
}

/** What is compared: everything but identity and status; of the metadata, labels and annotations. A Secret's stringData as the API server stores it (data, base64). */
function comparable(object: ManifestObject): Record<string, unknown> {
  const { apiVersion: _v, kind: _k, status: _s, metadata, stringData, ...rest } = object;
  const data = stringData && typeof stringData === 'object'
    ? { ...(rest.data as object | undefined), ...Object.fromEntries(Object.entries(stringData).map(([k, v]) => [k, Buffer.from(String(v)).toString('base64')])) }
    : rest.data;
  return {
    ...rest,
    ...(data !== undefined ? { data } : {}),
    metadata: { ...(metadata.labels ? { labels: metadata.labels } : {}), ...(metadata.annotations ? { annotations: metadata.annotations } : {}) },
  };
}

interface Difference {
  path: string;
  desired: unknown;
  live: unknown;
}

/** The fields `desired` sets that `live` does not hold, as dotted paths (`spec.template.spec.containers[0].image`). */
function differences(desired: unknown, live: unknown, path: readonly string[]): Difference[] {
  if (desired === null || desired === undefined) return [];
  // The API server leaves empty and zero fields out of what it returns.
  if (live === undefined && isZero(desired)) return [];
  if (Array.isArray(desired)) {
    if (!Array.isArray(live) || live.length !== desired.length) return [{ path: join(path), desired: `${desired.length} items`, live: Array.isArray(live) ? `${live.length} items` : live }];
    return desired.flatMap((item, i) => differences(item, live[i], [...path.slice(0, -1), `${path.at(-1) ?? ''}[${i}]`]));
  }
  if (typeof desired === 'object') {
    if (!live || typeof live !== 'object' || Array.isArray(live)) return [{ path: join(path), desired, live }];
    return Object.entries(desired).flatMap(([key, value]) => differences(value, (live as Record<string, unknown>)[key], [...path, key]));
  }
  return sameScalar(desired, live) ? [] : [{ path: join(path), desired, live }];
}

function isZero(value: unknown): boolean {
  if (Array.isArray(value)) return value.length === 0;
  if (value && typeof value === 'object') return Object.values(value).every((v) => v === null || v === undefined || isZero(v));
  return value === false || value === 0 || value === '';
}

/** Equal as written, as text (`80` and `"80"` of an int-or-string), or as quantities (`0.5` and `500m`, `1Gi` and `1024Mi`), which the API server rewrites. */
function sameScalar(desired: unknown, live: unknown): boolean {
  if (desired === live) return true;
  if (live === undefined || live === null || typeof live === 'object') return false;
  if (String(desired) === String(live)) return true;
  const a = quantity(String(desired));
  const b = quantity(String(live));
  return a !== undefined && b !== undefined && Math.abs(a - b) <= Math.abs(a) * 1e-9;
}

const SUFFIXES: Record<string, number> = {
  '': 1, n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** A Kubernetes quantity's value, or undefined when the text is not one. */
function quantity(text: string): number | undefined {
  const match = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/.exec(text);
  return match ? Number(match[1]) * SUFFIXES[match[2] ?? '']! : undefined;
}

function join(path: readonly string[]): string {
  return path.join('.').replace(/\.\[/g, '[');
}

function show(value: unknown): string {
  const text = value === undefined ? 'absent' : typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
