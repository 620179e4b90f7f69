import {
  catalogueRegions,
  cloudOfProvider,
  listPricedInstanceTypes,
  PROVIDER_CLOUDS,
  providerOfCloud,
  type Cloud,
  type CloudProvider,
} from '../catalogue/catalogue.js';
import { poolsCost, type Cost } from '../catalogue/cost.js';
import { PROVIDERS } from '../cluster.js';
import type { Problem } from '../problems.js';
import { cheapestLayout, type Layout, type Requirement } from './layout.js';

export interface RecommendationRequest extends Requirement {
  /** Cloud providers to consider; all three when absent. */
  providers?: CloudProvider[];
  /** Region names of any of those clouds, each applying to its own cloud; a cloud none of them names is searched in all its regions. */
  regions?: string[];
  /** Layouts to answer beyond the cheapest of each cloud (default 10). */
  limit?: number;
}

export interface Recommendation extends Omit<Layout, 'hourly'>, Omit<Cost, 'unpriced'> {
  provider: CloudProvider;
  cloud: Cloud;
  region: string;
}

const CLOUD_PROVIDERS = Object.keys(PROVIDER_CLOUDS) as CloudProvider[];
const DEFAULT_LIMIT = 10;
/** Relaxations per region: a search over every region stays within seconds; a hard one answers with its bound. */
export const REGION_NODE_LIMIT = 100;

function isNonNegative(value: number | undefined): boolean {
  return value === undefined || (Number.isFinite(value) && value >= 0);
}

/** The regions each allowed cloud is searched in. */
function searchRegions(request: RecommendationRequest): Map<Cloud, string[]> {
  const clouds = (request.providers ?? CLOUD_PROVIDERS).map((provider) => PROVIDER_CLOUDS[provider]);
  return new Map(
    clouds.map((cloud) => {
      const all = catalogueRegions(cloud);
      const named = (request.regions ?? []).filter((region) => all.includes(region));
      return [cloud, named.length > 0 ? named : all];
    }),
  );
}

/** What is wrong with a request beyond its JSON shape. */
export function recommendationProblems(request: RecommendationRequest): Problem[] {
  const problems: Problem[] = [];
  const add = (field: string, message: string) => problems.push({ path: [field], message });
  for (const field of ['cpu', 'memoryGiB', 'gpu', 'minNodes', 'maxNodes'] as const) {
    if (!isNonNegative(request[field])) add(field, 'must be a number, 0 or more');
  }
  if (![request.cpu, request.memoryGiB, request.gpu, request.minNodes].some((n) => (n ?? 0) > 0)) add('cpu', 'a requirement needs some cpu, memory, GPUs or nodes');
  if (request.spotShare !== undefined && !(request.spotShare >= 0 && request.spotShare <= 1)) add('spotShare', 'must be within [0, 1]');
  if (request.minNodes !== undefined && request.maxNodes !== undefined && request.minNodes > request.maxNodes) {
    add('minNodes', `must not exceed maxNodes (${request.maxNodes})`);
  }
  request.providers?.forEach((provider, i) => {
    if (!cloudOfProvider(provider)) problems.push({ path: ['providers', i], message: `not a cloud provider: one of ${CLOUD_PROVIDERS.join(', ')}` });
  });
  if (problems.length > 0) return problems;
  const clouds = searchRegions(request);
  request.regions?.forEach((region, i) => {
    if (![...clouds.keys()].some((cloud) => catalogueRegions(cloud).includes(region))) {
      problems.push({ path: ['regions', i], message: `'${region}' is not a priced region of ${[...clouds.keys()].join(', ')}` });
    }
  });
  return problems;
}

/**
 * Layouts meeting the requirement, cheapest first: the `limit` cheapest over
 * every allowed cloud and region, and the cheapest of each cloud that has one.
 * Call recommendationProblems first. Regions are searched in the order of
 * their best single-type layout, and each search only for layouts that would
 * make the answer, so most regions end at their first relaxation.
 */
export function recommend(request: RecommendationRequest, nodeLimit = REGION_NODE_LIMIT): Recommendation[] {
  const limit = request.limit ?? DEFAULT_LIMIT;
  const searches = [...searchRegions(request)].flatMap(([cloud, regions]) =>
    regions.flatMap((region) => {
      const provider = providerOfCloud(cloud);
      const types = listPricedInstanceTypes(cloud, region);
      const maxNodesPerPool = PROVIDERS[provider].maxNodesPerPool;
      const hint = cheapestLayout(types, { ...request, sameSize: true }, maxNodesPerPool);
      return hint ? [{ cloud, provider, region, types, maxNodesPerPool, hint: hint.hourly }] : [];
    }),
  );
  searches.sort((a, b) => a.hint - b.hint);

  const found: Recommendation[] = [];
  for (const { cloud, provider, region, types, maxNodesPerPool } of searches) {
    const hourlies = found.map((r) => r.hourly).sort((a, b) => a - b);
    const cloudBest = Math.min(...found.filter((r) => r.cloud === cloud).map((r) => r.hourly));
    const cutoff = Math.max(hourlies.length >= limit ? hourlies[limit - 1]! : Infinity, cloudBest);
    const layout = cheapestLayout(types, request, maxNodesPerPool, { cutoff, nodeLimit });
    if (!layout) continue;
    const { hourly: _hourly, ...rest } = layout;
    const { unpriced: _unpriced, ...cost } = poolsCost(cloud, region, layout.nodePools);
    found.push({ provider, cloud, region, ...cost, ...rest });
  }
  found.sort((a, b) => a.hourly - b.hourly || a.provider.localeCompare(b.provider) || a.region.localeCompare(b.region));
  const answer = found.slice(0, limit);
  for (const cloud of new Set(found.map((r) => r.cloud))) {
    if (!answer.some((r) => r.cloud === cloud)) answer.push(found.find((r) => r.cloud === cloud)!);
  }
  return answer;
}
