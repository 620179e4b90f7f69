import type { Problem } from './problems.js';
import type { Values } from './values.js';

/**
 * Placeholders in a deployment's values, filled in per target cluster after
 * the values are merged: `${cluster.name}`, `${cluster.provider}`,
 * `${cluster.region}`, `${cluster.kubernetesVersion}` and
 * `${cluster.labels.<key>}`. Only strings are templated, never keys. `{{ … }}`
 * is Helm's and left alone (charts run values through `tpl`); `$${` writes a
 * literal `${`. This is substitution, not evaluation: nothing a tenant writes
 * here runs.
 */

/** What a target offers to its values' placeholders. */
export interface TemplateCluster {
  name: string;
  provider: string;
  region: string;
  kubernetesVersion: string;
  labels: Readonly<Record<string, string>>;
}

const FIELDS = ['name', 'provider', 'region', 'kubernetesVersion'] as const;
// `$${…}` (an escape) or `${…}`; the escape is matched first so it is never read as a placeholder.
const PLACEHOLDER = /\$\$\{|\$\{([^}]*)\}/g;
const LABEL_PREFIX = 'cluster.labels.';

/** Why a placeholder's expression names nothing a cluster has, or undefined when it names something. */
function expressionProblem(expression: string): string | undefined {
  if (expression.startsWith(LABEL_PREFIX) && expression.length > LABEL_PREFIX.length) return undefined;
  if (FIELDS.some((field) => expression === `cluster.${field}`)) return undefined;
  return `unknown placeholder \${${expression}}: use cluster.name, cluster.provider, cluster.region, cluster.kubernetesVersion or cluster.labels.<key> ($\${ writes a literal \${)`;
}

function eachString(value: unknown, path: Problem['path'], visit: (text: string, path: Problem['path']) => string): unknown {
  if (typeof value === 'string') return visit(value, path);
  if (Array.isArray(value)) return value.map((item, i) => eachString(item, [...path, i], visit));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, eachString(item, [...path, key], visit)]));
  }
  return value;
}

/** Placeholders in `values` that name nothing a cluster has (an unclosed `${` included), with their paths. */
export function templateProblems(values: Values, path: Problem['path']): Problem[] {
  const problems: Problem[] = [];
  eachString(values, path, (text, at) => {
    for (const match of text.matchAll(PLACEHOLDER)) {
      const problem = match[1] === undefined ? undefined : expressionProblem(match[1]);
      if (problem) problems.push({ path: at, message: problem });
    }
    const unclosed = text.replace(PLACEHOLDER, '').includes('${');
    if (unclosed) problems.push({ path: at, message: 'a ${ without its closing }' });
    return text;
  });
  return problems;
}

/**
 * The values for one target, placeholders filled. A label the cluster does not
 * have is a problem, not an empty string: a value quietly empty on one cluster
 * is worse than a target that says why it failed.
 */
export function renderTemplates(values: Values, cluster: TemplateCluster): { values: Values } | { problems: Problem[] } {
  const problems: Problem[] = [];
  const rendered = eachString(values, [], (text, at) =>
    text.replace(PLACEHOLDER, (whole, expression: string | undefined) => {
      if (expression === undefined) return '${';
      if (expression.startsWith(LABEL_PREFIX)) {
        const key = expression.slice(LABEL_PREFIX.length);
        if (Object.hasOwn(cluster.labels, key)) return cluster.labels[key]!;
        problems.push({ path: at, message: `cluster ${cluster.name} has no label ${key}` });
        return whole;
      }
      const field = FIELDS.find((f) => expression === `cluster.${f}`);
      if (field) return cluster[field];
      problems.push({ path: at, message: expressionProblem(expression)! });
      return whole;
    }),
  ) as Values;
  return problems.length > 0 ? { problems } : { values: rendered };
}
