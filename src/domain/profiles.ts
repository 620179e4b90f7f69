import { clusterLabels } from './cluster-labels.js';
import type { ClusterRef, ProviderName } from './cluster.js';
import type { TargetRecord } from './groups.js';
import { matches, selectorRequirements, type LabelSelector, type Labels } from './label-selector.js';

/**
 * Provider profiles (docs/architecture.md, decision 11): an operator's rules
 * for every release rendered onto the clusters of one provider (and, with
 * `clusterSelector`, only those whose labels match). They are data, applied
 * to the rendered manifests by Helm's post-renderer: nothing in them runs.
 */

/** Annotations for the Services a rule picks: by their labels, and by `type` when given. */
export interface ServiceAnnotationRule {
  serviceSelector?: LabelSelector & { type?: string };
  annotations: Record<string, string>;
}

/** Proxy environment for every container of every pod template, on the clusters `clusterSelector` picks (all, without it). */
export interface ProxyRule {
  clusterSelector?: LabelSelector;
  httpProxy?: string;
  httpsProxy?: string;
  noProxy?: string;
}

export interface ProfileSpec {
  provider: ProviderName;
  clusterSelector?: LabelSelector;
  serviceAnnotations?: ServiceAnnotationRule[];
  /** A claim's storage class → the provider's own (`fast` → `gp3`). */
  storageClasses?: Record<string, string>;
  proxy?: ProxyRule;
}

export interface Profile extends ProfileSpec {
  name: string;
  /** 1 at create, one more at every change; never reused, even after a delete. */
  version: number;
  updatedAt: string;
}

/** A profile as a target applied it. */
export interface AppliedProfile {
  name: string;
  version: number;
}

/** What the post-renderer applies on one target: every matching profile's rules, in name order. */
export interface PostRenderRules {
  serviceAnnotations: ServiceAnnotationRule[];
  storageClasses: Record<string, string>;
  proxyEnv: { name: string; value: string }[];
}

function selects(selector: LabelSelector | undefined, labels: Labels): boolean {
  if (!selector) return true;
  const parsed = selectorRequirements(selector);
  return 'requirements' in parsed && matches(labels, parsed.requirements);
}

/** The profiles that apply to a target, in name order (a later one wins where two set the same thing). */
export function profilesFor(profiles: readonly Profile[], target: ClusterRef): Profile[] {
  const labels = clusterLabels(target);
  return profiles.filter((p) => p.provider === target.provider && selects(p.clusterSelector, labels)).sort((a, b) => a.name.localeCompare(b.name));
}

export function appliedProfiles(profiles: readonly Profile[]): AppliedProfile[] {
  return profiles.map(({ name, version }) => ({ name, version }));
}

/** The post-renderer's rules for a target from its profiles (profilesFor), or undefined when there is nothing to do. */
export function postRenderRules(profiles: readonly Profile[], target: ClusterRef): PostRenderRules | undefined {
  if (profiles.length === 0) return undefined;
  const labels = clusterLabels(target);
  const env = new Map<string, string>();
  for (const { proxy } of profiles) {
    if (!proxy || !selects(proxy.clusterSelector, labels)) continue;
    if (proxy.httpProxy) env.set('HTTP_PROXY', proxy.httpProxy);
    if (proxy.httpsProxy) env.set('HTTPS_PROXY', proxy.httpsProxy);
    if (proxy.noProxy) env.set('NO_PROXY', proxy.noProxy);
  }
  return {
    serviceAnnotations: profiles.flatMap((p) => p.serviceAnnotations ?? []),
    storageClasses: Object.assign({}, ...profiles.map((p) => p.storageClasses ?? {})),
    proxyEnv: [...env].map(([name, value]) => ({ name, value })),
  };
}

/**
 * A target Helm finds as desired is still STALE when the profiles that apply to it now are not
 * the versions its last install or upgrade applied (the workflow's drift check and the API's live read).
 */
export function withProfileDrift(read: TargetRecord, applied: readonly AppliedProfile[] | undefined, current: readonly AppliedProfile[]): TargetRecord {
  if (read.status !== 'DEPLOYED') return read;
  const changed = profilesChanged(applied ?? [], current);
  return changed ? { ...read, status: 'STALE', stale: true, message: changed } : read;
}

/** Why a target's applied profiles are not the ones that apply now, or undefined when they are. */
export function profilesChanged(applied: readonly AppliedProfile[], current: readonly AppliedProfile[]): string | undefined {
  const key = (list: readonly AppliedProfile[]) => list.map((p) => `${p.name}@v${p.version}`).sort().join(', ');
  if (key(applied) === key(current)) return undefined;
  return `provider profiles changed: applied [${key(applied)}], now [${key(current)}]`;
}

type Manifest = { kind?: unknown; metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: Record<string, unknown> };
type PodSpec = { containers?: Container[]; initContainers?: Container[] };
type Container = { env?: { name: string; value?: string }[] };

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const TEMPLATED = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'ReplicationController']);

/** Where a manifest holds pod specs: Pods, the workload kinds' templates, CronJobs' job templates. */
function podSpecs(doc: Manifest): PodSpec[] {
  const spec = doc.spec;
  if (!isObject(spec)) return [];
  const template = (t: unknown) => (isObject(t) && isObject(t.spec) ? [t.spec as PodSpec] : []);
  if (doc.kind === 'Pod') return [spec as PodSpec];
  if (typeof doc.kind === 'string' && TEMPLATED.has(doc.kind)) return template(spec.template);
  if (doc.kind === 'CronJob' && isObject(spec.jobTemplate) && isObject(spec.jobTemplate.spec)) return template(spec.jobTemplate.spec.template);
  return [];
}

function mapClass(spec: unknown, classes: Record<string, string>): void {
  if (isObject(spec) && typeof spec.storageClassName === 'string' && Object.hasOwn(classes, spec.storageClassName)) spec.storageClassName = classes[spec.storageClassName];
}

/**
 * The manifests as the target should get them (what the post-renderer writes
 * back to helm): Services a rule picks get its annotations; claims (and
 * StatefulSets' claim templates) asking for a mapped class get the provider's;
 * every container of every pod template gets the proxy variables it does not
 * set itself. Changes `docs` in place and returns it.
 */
export function applyPostRenderRules(docs: unknown[], rules: PostRenderRules): unknown[] {
  for (const raw of docs) {
    if (!isObject(raw)) continue;
    const doc = raw as Manifest;
    if (doc.kind === 'Service') {
      const labels = doc.metadata?.labels ?? {};
      for (const rule of rules.serviceAnnotations) {
        const { type, ...selector } = rule.serviceSelector ?? {};
        if (type !== undefined && (doc.spec?.type ?? 'ClusterIP') !== type) continue;
        if (!selects(selector, labels)) continue;
        doc.metadata = { ...doc.metadata, annotations: { ...doc.metadata?.annotations, ...rule.annotations } };
      }
    }
    if (doc.kind === 'PersistentVolumeClaim') mapClass(doc.spec, rules.storageClasses);
    if (doc.kind === 'StatefulSet' && Array.isArray(doc.spec?.volumeClaimTemplates)) {
      for (const claim of doc.spec.volumeClaimTemplates) if (isObject(claim)) mapClass(claim.spec, rules.storageClasses);
    }
    if (rules.proxyEnv.length === 0) continue;
    for (const pod of podSpecs(doc)) {
      for (const container of [...(pod.containers ?? []), ...(pod.initContainers ?? [])]) {
        if (!isObject(container)) continue;
        const env = Array.isArray(container.env) ? container.env : [];
        // A variable the chart sets itself is the chart's.
        container.env = [...env, ...rules.proxyEnv.filter((v) => !env.some((e) => e.name === v.name))];
      }
    }
  }
  return docs;
}
