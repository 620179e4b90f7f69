import type { Egress } from '../../adapters/egress/egress.js';
import { listPricedInstanceTypes, PROVIDER_CLOUDS, regionPrices, type CloudProvider } from '../../domain/catalogue/catalogue.js';
import { PROVIDERS } from '../../domain/cluster.js';
import { targetRelease } from '../../domain/target-values.js';
import { workloadRequirement } from '../../domain/recommend/workload.js';
import { mergeValues, type Values } from '../../domain/values.js';
import { chartSource } from '../chart-source.js';
import { invalid } from '../errors.js';
import type { GroupGateway } from '../group-gateway.js';
import type { HelmRepositoryGateway } from '../helm-repository-gateway.js';
import type { Recommender } from '../recommender.js';
import type { Routes } from '../route-table.js';
import { InstanceTypeQuery, RecommendationCreate } from '../schemas.js';
import type { SizingGateway } from '../sizing-gateway.js';

/** What sizing a chart needs: where its chart may come from, and the deployments it may name. */
export interface ChartSizing {
  sizing: SizingGateway;
  groups: GroupGateway;
  repositories: HelmRepositoryGateway;
  chartRoots: readonly string[];
  egress: Egress;
}

/** The release name a chart is rendered under when no deployment names one. */
const SIZING_RELEASE = 'sizing';

/** The instance catalogue and the recommender (docs/economics.md): list prices, no cloud call; a chart is rendered on the helm queue. */
export function economicsRoutes(routes: Routes, recommender: Recommender, charts: ChartSizing): void {
  routes.get(
    '/instance-types',
    {
      summary: "A cloud provider's instance types in a region, with their prices",
      description: 'USD per hour at list prices as of `priceDate`; `spot` only where the catalogue knows it (GCP). Types not offered or not priced in the region are left out.',
      query: InstanceTypeQuery,
      responses: { 200: '{ provider, region, currency, priceDate, old, items: [type with onDemand and spot?] }' },
    },
    (_req, res, { query: { provider, region: asked, gpu, ...filter } }) => {
      const cloud = PROVIDER_CLOUDS[provider as CloudProvider];
      const region = asked ?? PROVIDERS[provider].defaultRegion;
      const prices = regionPrices(cloud, region);
      if (!prices) throw invalid([{ path: ['region'], message: `'${region}' is not a region the ${cloud} catalogue prices` }]);
      const items = listPricedInstanceTypes(cloud, region, { ...filter, ...(gpu !== undefined ? { gpu: gpu === 0 ? false : gpu } : {}) });
      res.json({ provider, region, currency: prices.currency, priceDate: prices.priceDate, old: prices.old, items });
    },
  );

  routes.post(
    '/recommendations',
    {
      summary: 'The cheapest node-pool layouts for a requirement, or for a chart or deployment, on each cloud',
      description:
        'Layouts cheapest first: the `limit` (10) cheapest over the allowed providers and regions, and the cheapest of each provider. Each `nodePools` can be sent as is in a POST /clusters body. The search runs off the API\'s event loop and takes up to a few seconds. With `chart` (and `values`) or `deployment`, the chart is rendered on the helm task queue and its pods\' requests are the requirement (DaemonSets on every node); the answer then carries the `workload` it found.',
      body: RecommendationCreate,
      responses: { 200: '{ items: [{ provider, region, hourly, monthly, nodePools, ... }], workload?: { pods, perNode, largestPod, workloads } }' },
      errors: [503],
    },
    async (req, res, { body }) => {
      const { chart, version, values, deployment, ...search } = body;
      if (chart === undefined && deployment === undefined) return void res.json({ items: await recommender.recommend({ ...search, cpu: search.cpu!, memoryGiB: search.memoryGiB! }) });
      const org = req.org!;
      const release = deployment
        ? await deployedRelease(charts.groups, org, deployment, values)
        : { name: SIZING_RELEASE, namespace: 'default', values: values ?? {}, ...(version ? { version } : {}), ...(await chartSource(charts.repositories, org, chart!, charts.chartRoots, charts.egress, false)) };
      const { problems: _none, ...workload } = await charts.sizing.workload(org, release);
      const items = await recommender.recommend({ ...search, ...workloadRequirement(workload), minNodes: Math.max(1, search.minNodes ?? 0) });
      res.json({ items, workload });
    },
  );
}

/** A live deployment's chart, version and values (with `values` merged over them), as its releases were rendered. */
async function deployedRelease(groups: GroupGateway, org: string, { group, release }: { group: string; release: string }, values: Values | undefined) {
  const spec = await groups.deploymentSpec(org, group, release);
  return targetRelease(spec, mergeValues(spec.values, values));
}
