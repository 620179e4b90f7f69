import { formatCatalogue } from '../../scripts/generate-catalogue.js';
import aws from '../../src/domain/catalogue/data/aws.json' with { type: 'json' };
import type { CatalogueFile } from '../../src/domain/catalogue/data-format.js';
import {
  catalogueRegions,
  CLOUDS,
  cloudOfProvider,
  findCatalogueType,
  findPrice,
  listInstanceTypes,
  listPricedInstanceTypes,
  PROVIDER_CLOUDS,
  providerOfCloud,
  regionPrices,
} from '../../src/domain/catalogue/catalogue.js';
import { HOURS_PER_MONTH, poolsCost, sumCosts, type PricedPool } from '../../src/domain/catalogue/cost.js';
import { PROVIDERS } from '../../src/domain/cluster.js';

describe('catalogue', () => {
  it('knows published list prices and specs', () => {
    expect(findPrice('aws', 'us-east-1', 'm5.large')).toEqual({ onDemand: 0.096 });
    expect(findCatalogueType('aws', 'm5.large')).toMatchObject({ cpu: 2, memoryGiB: 8, gpus: 0, arch: 'amd64' });
    expect(findPrice('gcp', 'us-central1', 'n2-standard-4')).toEqual({ onDemand: 0.194236, spot: 0.09212 });
    expect(findPrice('azure', 'eastus', 'Standard_D4s_v5')).toEqual({ onDemand: 0.192 });
    expect(findCatalogueType('aws', 'g5.xlarge')).toMatchObject({ gpus: 1, gpuModel: 'A10G' });
    expect(findCatalogueType('gcp', 'g2-standard-4')).toMatchObject({ gpus: 1, gpuModel: 'L4' });
    expect(findCatalogueType('aws', 'm7g.large')?.arch).toBe('arm64');
  });

  it('prices AWS regions other than us-east-1 from the old snapshot, saying so', () => {
    expect(regionPrices('aws', 'us-east-1')).toMatchObject({ priceDate: '2026-07-20', old: false, currency: 'USD' });
    expect(regionPrices('aws', 'eu-west-1')).toMatchObject({ priceDate: '2022-11-22', old: true });
    expect(findPrice('aws', 'eu-west-1', 'm5.large')).toEqual({ onDemand: 0.107 });
    // p4d.24xlarge was cut in 2023: us-east-1 must carry the current price, not 2022's 32.77.
    expect(findPrice('aws', 'us-east-1', 'p4d.24xlarge')?.onDemand).toBeLessThan(30);
    expect(catalogueRegions('aws')).toHaveLength(11);
    expect(regionPrices('gcp', 'us-central1')).toMatchObject({ old: false, source: { prices: { repo: 'Cyclenerd/google-cloud-pricing-cost-calculator' } } });
  });

  it('answers undefined for an unknown type, region or unpriced pair', () => {
    expect(findCatalogueType('aws', 'm5.huge')).toBeUndefined();
    expect(findCatalogueType('aws', 'constructor')).toBeUndefined();
    expect(findPrice('aws', 'mars-1', 'm5.large')).toBeUndefined();
    expect(regionPrices('gcp', 'us-east-1')).toBeUndefined();
    expect(listPricedInstanceTypes('azure', 'nowhere')).toEqual([]);
    // m7g launched after the 2022 snapshot: known, but not priced in eu-west-1.
    expect(findCatalogueType('aws', 'm7g.large')).toBeDefined();
    expect(findPrice('aws', 'eu-west-1', 'm7g.large')).toBeUndefined();
  });

  it('filters by cpu, memory, GPU, GPU model and architecture', () => {
    const big = listPricedInstanceTypes('gcp', 'us-central1', { minCpu: 16, minMemoryGiB: 64, arch: 'arm64' });
    expect(big.length).toBeGreaterThan(0);
    for (const t of big) expect(t.cpu >= 16 && t.memoryGiB >= 64 && t.arch === 'arm64' && t.onDemand > 0).toBe(true);
    expect(big.map((t) => t.name)).toContain('c4a-standard-16');
    expect(big.map((t) => t.name)).not.toContain('n2-standard-16');

    const gpus = listInstanceTypes('aws', { gpu: true });
    expect(gpus.map((t) => t.name)).toContain('g5.xlarge');
    expect(gpus.every((t) => t.gpus >= 1)).toBe(true);
    expect(listInstanceTypes('aws', { gpu: false }).map((t) => t.name)).not.toContain('g5.xlarge');
    expect(listInstanceTypes('aws', { gpu: 8 }).every((t) => t.gpus >= 8)).toBe(true);
    const l4 = listInstanceTypes('gcp', { gpuModel: 'l4' });
    expect(l4.length).toBeGreaterThan(0);
    expect(l4.every((t) => t.gpuModel === 'L4')).toBe(true);
  });

  it('lists every type priced in a region with its prices, spot where known', () => {
    const central = listPricedInstanceTypes('gcp', 'us-central1');
    expect(central.find((t) => t.name === 'n2-standard-4')).toMatchObject({ region: 'us-central1', onDemand: 0.194236, spot: 0.09212, cpu: 4 });
    expect(listPricedInstanceTypes('aws', 'us-east-1').every((t) => t.spot === undefined)).toBe(true);
  });

  it('maps each cloud provider to its cloud and back', () => {
    for (const cloud of CLOUDS) expect(cloudOfProvider(providerOfCloud(cloud))).toBe(cloud);
    for (const provider of Object.keys(PROVIDER_CLOUDS)) expect(provider in PROVIDERS).toBe(true);
    expect(cloudOfProvider('kwok')).toBeUndefined();
    expect(cloudOfProvider('toString')).toBeUndefined();
  });

  it('ships files the generator formats back to the same bytes', () => {
    const file = aws as unknown as CatalogueFile;
    const text = formatCatalogue(file);
    expect(JSON.parse(text)).toEqual(file);
    expect(formatCatalogue(JSON.parse(text) as CatalogueFile)).toBe(text);
    for (const row of Object.values(file.types)) expect(row.onDemand).toHaveLength(file.regions.length);
  });
});

describe('cost of node pools', () => {
  const pools: PricedPool[] = [
    { name: 'web', instanceType: 'n2-standard-4', count: 3 },
    { name: 'batch', instanceType: 'n2-standard-4', count: 2, spot: true },
    { name: 'big', instanceType: 'e2-standard-8', count: 1 },
  ];

  it('is the sum over pools of count × price, spot pools at the spot price', () => {
    const cost = poolsCost('gcp', 'us-central1', pools);
    const expected = pools.reduce((sum, pool) => {
      const price = findPrice('gcp', 'us-central1', pool.instanceType)!;
      return sum + pool.count * (pool.spot ? price.spot! : price.onDemand);
    }, 0);
    expect(cost.hourly).toBeCloseTo(expected, 6);
    expect(cost.monthly).toBeCloseTo(expected * HOURS_PER_MONTH, 2);
    expect(cost).toMatchObject({ currency: 'USD', priceDate: '2026-07-30', old: false, unpriced: [], spotAtOnDemand: [] });
    const each = pools.map((pool) => poolsCost('gcp', 'us-central1', [pool]).hourly);
    expect(cost.hourly).toBeCloseTo(each.reduce((a, b) => a + b, 0), 6);
  });

  it('prices spot at on-demand where the spot price is unknown, and says so', () => {
    const cost = poolsCost('aws', 'us-east-1', [{ name: 'spotty', instanceType: 'm5.large', count: 4, spot: true }]);
    expect(cost.hourly).toBeCloseTo(4 * 0.096, 9);
    expect(cost.spotAtOnDemand).toEqual(['spotty']);
  });

  it('leaves out and names pools it cannot price', () => {
    const cost = poolsCost('aws', 'eu-west-1', [
      { name: 'new', instanceType: 'm7g.large', count: 2 },
      { name: 'typo', instanceType: 'm5.huge', count: 1 },
      { name: 'ok', instanceType: 'm5.large', count: 1 },
    ]);
    expect(cost).toMatchObject({ hourly: 0.107, unpriced: ['new', 'typo'], priceDate: '2022-11-22', old: true });
    expect(poolsCost('aws', 'mars-1', pools)).toMatchObject({ hourly: 0, priceDate: null, unpriced: ['web', 'batch', 'big'] });
  });

  it('sums clusters for a group, with the oldest price date', () => {
    const a = poolsCost('gcp', 'us-central1', pools);
    const b = poolsCost('aws', 'eu-west-1', [{ name: 'x', instanceType: 'm5.huge', count: 1 }, { name: 'y', instanceType: 'm5.large', count: 3 }]);
    const total = sumCosts([
      { name: 'east', cost: a },
      { name: 'west', cost: b },
    ]);
    expect(total.hourly).toBeCloseTo(a.hourly + b.hourly, 6);
    expect(total).toMatchObject({ priceDate: '2022-11-22', old: true, unpriced: ['west/x'] });
    expect(sumCosts([])).toMatchObject({ hourly: 0, monthly: 0, priceDate: null, unpriced: [] });
  });
});
