import type { NodePoolSpec } from '../cluster.js';
import { findPrice, regionPrices, type Cloud } from './catalogue.js';

/** The month the clouds' own calculators use: 365 × 24 / 12 hours. */
export const HOURS_PER_MONTH = 730;

/** What a set of node pools costs at list prices, in USD. */
export interface Cost {
  hourly: number;
  monthly: number;
  currency: 'USD';
  /** The day the prices are as of; the oldest one where several regions' prices were summed. null: no price known. */
  priceDate: string | null;
  /** Some prices are from an old snapshot (docs/economics.md). */
  old: boolean;
  /** Pools left out of the sum: instance type not priced in the region. */
  unpriced: string[];
  /** Spot pools priced at on-demand, the region's spot price being unknown. */
  spotAtOnDemand: string[];
}

export type PricedPool = Pick<NodePoolSpec, 'name' | 'instanceType' | 'count' | 'spot'>;

const roundTo = (value: number, digits: number) => Number(value.toFixed(digits));

function cost(hourly: number, priceDate: string | null, old: boolean, unpriced: string[], spotAtOnDemand: string[]): Cost {
  return { hourly: roundTo(hourly, 6), monthly: roundTo(hourly * HOURS_PER_MONTH, 2), currency: 'USD', priceDate, old, unpriced, spotAtOnDemand };
}

/** Node pools at `count` nodes each, in a region of a cloud: spot pools at spot price where known. */
export function poolsCost(cloud: Cloud, region: string, pools: readonly PricedPool[]): Cost {
  const prices = regionPrices(cloud, region);
  const unpriced: string[] = [];
  const spotAtOnDemand: string[] = [];
  let hourly = 0;
  for (const pool of pools) {
    const price = findPrice(cloud, region, pool.instanceType);
    if (!price) {
      unpriced.push(pool.name);
      continue;
    }
    if (pool.spot && price.spot === undefined) spotAtOnDemand.push(pool.name);
    hourly += pool.count * (pool.spot ? (price.spot ?? price.onDemand) : price.onDemand);
  }
  return cost(hourly, prices?.priceDate ?? null, prices?.old ?? false, unpriced, spotAtOnDemand);
}

/** Pools no cloud prices: nothing summed, every pool named. */
export function unpricedCost(pools: string[]): Cost {
  return cost(0, null, false, pools, []);
}

/** The sum of named costs (a group's clusters): pool names become `<name>/<pool>`. */
export function sumCosts(costs: readonly { name: string; cost: Cost }[]): Cost {
  const dates = costs.map((c) => c.cost.priceDate).filter((date): date is string => date !== null).sort();
  const qualified = (pick: (c: Cost) => string[]) => costs.flatMap(({ name, cost: c }) => pick(c).map((pool) => `${name}/${pool}`));
  return cost(
    costs.reduce((sum, c) => sum + c.cost.hourly, 0),
    dates[0] ?? null,
    costs.some((c) => c.cost.old),
    qualified((c) => c.unpriced),
    qualified((c) => c.spotAtOnDemand),
  );
}
