import { tenantLabelProblems } from './cluster-labels.js';
import { networkProblems } from './cluster-network.js';
import { PROVIDERS, providerInfo, type ClusterRequest, type NodePoolChanges, type NodePoolSpec, type ProviderName } from './cluster.js';
import { dnsLabelProblem, labelKeyProblem, labelProblems, labelValueProblem } from './names.js';
import type { Problem } from './problems.js';

/** Limits that keep one request from swamping a cluster entity or a provider. */
export const MAX_NODE_POOLS = 20;
/** Registered Helm repositories per organization: they live in one workflow's memo. */
export const MAX_HELM_REPOSITORIES = 100;
export const MAX_PROFILES = 50;

/**
 * Semantic checks of one pool: the rules a JSON schema cannot say. Run by the
 * API (inside zod) and again by the workflow's update validators. Its instance
 * type is checked by the API alone (catalogue/provider-types.ts): the catalogue
 * stays out of the workflow bundle.
 */
export function nodePoolProblems(pool: NodePoolSpec, provider: ProviderName, path: Problem['path'] = []): Problem[] {
  const problems: Problem[] = [];
  const add = (field: string | (string | number)[], message: string) =>
    problems.push({ path: [...path, ...(Array.isArray(field) ? field : [field])], message });
  const info = PROVIDERS[provider];

  const nameProblem = dnsLabelProblem(pool.name);
  if (nameProblem) add('name', nameProblem);
  if (providerInfo(provider).reservedPoolNames?.includes(pool.name)) add('name', `'${pool.name}' is reserved by the ${provider} provider`);
  if (!Number.isInteger(pool.count) || pool.count < 0) add('count', 'must be a whole number, 0 or more');
  if (pool.count > info.maxNodesPerPool) add('count', `must be at most ${info.maxNodesPerPool} for provider ${provider}`);
  if (pool.minCount !== undefined && pool.maxCount !== undefined && pool.minCount > pool.maxCount) {
    add('minCount', `must not exceed maxCount (${pool.maxCount})`);
  } else {
    if (pool.minCount !== undefined && pool.count < pool.minCount) add('count', `must be within [minCount, maxCount]: ${pool.count} < minCount ${pool.minCount}`);
    if (pool.maxCount !== undefined && pool.count > pool.maxCount) add('count', `must be within [minCount, maxCount]: ${pool.count} > maxCount ${pool.maxCount}`);
  }
  if (pool.maxCount !== undefined && pool.maxCount > info.maxNodesPerPool) add('maxCount', `must be at most ${info.maxNodesPerPool} for provider ${provider}`);
  if (pool.autoscaling && (pool.minCount === undefined || pool.maxCount === undefined)) {
    add('autoscaling', 'needs minCount and maxCount');
  }
  if (pool.labels) problems.push(...labelProblems(pool.labels, [...path, 'labels']));
  pool.taints?.forEach((taint, i) => {
    const keyProblem = labelKeyProblem(taint.key);
    if (keyProblem) add(['taints', i, 'key'], keyProblem);
    const valueProblem = taint.value === undefined ? undefined : labelValueProblem(taint.value);
    if (valueProblem) add(['taints', i, 'value'], valueProblem);
  });
  return problems;
}

export function clusterRequestProblems(request: ClusterRequest): Problem[] {
  const problems: Problem[] = [];
  const nameProblem = dnsLabelProblem(request.name);
  if (nameProblem) problems.push({ path: ['name'], message: nameProblem });
  const info = providerInfo(request.provider);
  if (request.nodePools.length > MAX_NODE_POOLS) {
    problems.push({ path: ['nodePools'], message: `at most ${MAX_NODE_POOLS} node pools` });
  }
  if (!info.managesNodePools && request.nodePools.length > 0) {
    problems.push({ path: ['nodePools'], message: `must be empty: the node pools of a ${request.provider} cluster are read from the cluster` });
  }
  if (info.managesNodePools && request.nodePools.length === 0) {
    problems.push({ path: ['nodePools'], message: 'at least one node pool' });
  }
  if (request.eks && request.provider !== 'eks') problems.push({ path: ['eks'], message: 'only for provider eks' });
  if (request.flavor && !['kwok', 'sim'].includes(request.provider)) problems.push({ path: ['flavor'], message: 'only for the local providers kwok and sim' });
  if (request.eks?.subnetIds && request.eks.subnetIds.length < 2) problems.push({ path: ['eks', 'subnetIds'], message: 'EKS needs subnets in at least two availability zones' });
  if (info.secret?.required && !request.secretId) {
    problems.push({ path: ['secretId'], message: `a ${request.provider} cluster needs a ${info.secret.type} secret` });
  }
  if (request.labels) problems.push(...tenantLabelProblems(request.labels, ['labels']));
  if (request.network) problems.push(...networkProblems(request.network, request.provider));
  const seen = new Set<string>();
  request.nodePools.forEach((pool, i) => {
    if (seen.has(pool.name)) problems.push({ path: ['nodePools', i, 'name'], message: `duplicate node pool name '${pool.name}'` });
    seen.add(pool.name);
    problems.push(...nodePoolProblems(pool, request.provider, ['nodePools', i]));
  });
  return problems;
}

/** A pool after PUT: changes replace fields; labels and taints replace whole. */
export function applyNodePoolChanges(pool: NodePoolSpec, changes: NodePoolChanges): NodePoolSpec {
  const next: NodePoolSpec = { ...pool };
  for (const [key, value] of Object.entries(changes) as [keyof NodePoolChanges, unknown][]) {
    if (value !== undefined) (next as unknown as Record<string, unknown>)[key] = value;
  }
  return next;
}
