import { clusterLabels, templateCluster } from './cluster-labels.js';
import type { ClusterRef } from './cluster.js';
import type { DeploymentSpec } from './groups.js';
import { matches, selectorRequirements, type LabelSelector } from './label-selector.js';
import type { Problem } from './problems.js';
import { renderTemplates, templateProblems } from './value-templates.js';
import { mergeValues, valuesProblems, type Values } from './values.js';

/** Values for the clusters a label selector picks (docs/architecture.md, decision 5). */
export interface SelectorOverride {
  selector: LabelSelector;
  values: Values;
}

/** What of a deployment's spec decides a target's values. */
export type ValuesSpec = Pick<DeploymentSpec, 'values' | 'valueOverrides' | 'valueOverridesBySelector'>;

/**
 * The merged values for one target, before templating: `values`, then every
 * `valueOverridesBySelector` entry whose selector matches the cluster's labels,
 * in order, then the per-name `valueOverrides` (which may name a cluster before
 * it joins). A selector that does not parse matches nothing (the API refuses
 * them; this is for states written before it did).
 */
export function mergedValuesFor(spec: ValuesSpec, target: ClusterRef): Values {
  const labels = clusterLabels(target);
  const bySelector = (spec.valueOverridesBySelector ?? []).filter(({ selector }) => {
    const parsed = selectorRequirements(selector);
    return 'requirements' in parsed && matches(labels, parsed.requirements);
  });
  const merged = bySelector.reduce((values, o) => mergeValues(values, o.values), spec.values);
  return mergeValues(merged, spec.valueOverrides[target.name]);
}

/**
 * The values one target gets: merged (mergedValuesFor), then its
 * `${cluster.…}` placeholders filled with the cluster's name, provider,
 * region, Kubernetes version and labels; or why they cannot be (a label the
 * cluster lacks).
 */
export function targetValues(spec: ValuesSpec, target: ClusterRef): { values: Values } | { problems: Problem[] } {
  return renderTemplates(mergedValuesFor(spec, target), templateCluster(target));
}

/** Everything wrong with a spec's values: sizes, placeholders and selectors, each with its field path. */
export function specValuesProblems(spec: ValuesSpec): Problem[] {
  const documents: [Values, Problem['path']][] = [
    [spec.values, ['values']],
    ...(spec.valueOverridesBySelector ?? []).map((o, i): [Values, Problem['path']] => [o.values, ['valueOverridesBySelector', i, 'values']]),
    ...Object.entries(spec.valueOverrides).map(([cluster, values]): [Values, Problem['path']] => [values, ['valueOverrides', cluster]]),
  ];
  const selectors = (spec.valueOverridesBySelector ?? []).flatMap((o, i) => {
    const parsed = selectorRequirements(o.selector, ['valueOverridesBySelector', i, 'selector']);
    return 'problems' in parsed ? parsed.problems : [];
  });
  return [...documents.flatMap(([values, path]) => [...valuesProblems(values, path), ...templateProblems(values, path)]), ...selectors];
}

/** The release one target should run: what the helm activity installs. */
export interface TargetRelease {
  name: string;
  namespace: string;
  chart: string;
  /** The chart repository's URL, when `chart` is a name in it. */
  repo?: string;
  version?: string;
  values: Values;
}

/** The release of `spec` on a target, with the values targetValues gave it. */
export function targetRelease(spec: DeploymentSpec, values: Values): TargetRelease {
  return {
    name: spec.releaseName,
    namespace: spec.namespace,
    chart: spec.chart,
    ...(spec.repo ? { repo: spec.repo } : {}),
    ...(spec.version ? { version: spec.version } : {}),
    values,
  };
}

/** A target's values could not be made (a `${cluster.labels.<key>}` its cluster lacks): what the target reports. */
export function unrenderableMessage(problems: Problem[]): string {
  return `values cannot be templated for this cluster: ${problems.map((p) => p.message).join('; ')}`;
}
