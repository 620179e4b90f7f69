import { listPricedInstanceTypes, PROVIDER_CLOUDS, regionPrices, type CloudProvider } from '../../domain/catalogue/catalogue.js';
import { PROVIDERS } from '../../domain/cluster.js';
import { invalid } from '../errors.js';
import type { Recommender } from '../recommender.js';
import type { Routes } from '../route-table.js';
import { InstanceTypeQuery, RecommendationCreate } from '../schemas.js';

/** The instance catalogue and the recommender (docs/economics.md): list prices, no cloud call. */
export function economicsRoutes(routes: Routes, recommender: Recommender): void {
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
      summary: 'The cheapest node-pool layouts for a requirement, on each cloud',
      description:
        'Layouts cheapest first: the `limit` (10) cheapest over the allowed providers and regions, and the cheapest of each provider. Each `nodePools` can be sent as is in a POST /clusters body. The search runs off the API\'s event loop and takes up to a few seconds.',
      body: RecommendationCreate,
      responses: { 200: '{ items: [{ provider, region, hourly, monthly, nodePools, ... }] }' },
      errors: [503],
    },
    async (_req, res, { body }) => {
      res.json({ items: await recommender.recommend(body) });
    },
  );
}
