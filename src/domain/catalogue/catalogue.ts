import aws from './data/aws.json' with { type: 'json' };
import azure from './data/azure.json' with { type: 'json' };
import gcp from './data/gcp.json' with { type: 'json' };
import type { Arch, CatalogueFile, CatalogueTypeRow, Cloud, InstanceCapacity, PriceSource } from './data-format.js';

export { CLOUDS, type Arch, type Cloud, type PriceSource } from './data-format.js';
export { cloudOfProvider, PROVIDER_CLOUDS, providerOfCloud, type CloudProvider } from './clouds.js';

/** An instance type of a cloud, with what one node of it has. */
export interface InstanceTypeSpec extends InstanceCapacity {
  name: string;
  cloud: Cloud;
}

/** USD per hour. `spot` only where the catalogue knows the region's spot price. */
export interface Price {
  onDemand: number;
  spot?: number;
}

export type PricedInstanceType = InstanceTypeSpec & Price & { region: string };

/** Where a region's prices come from: its date, and whether newer data replaced them elsewhere. */
export interface RegionPrices {
  region: string;
  currency: 'USD';
  priceDate: string;
  old: boolean;
  source: PriceSource;
}

interface LoadedCatalogue {
  file: CatalogueFile;
  regionIndex: Map<string, number>;
  /** Specs made on first use, then shared: listing every region makes each only once. */
  specs: Map<string, InstanceTypeSpec>;
}

// Written by scripts/generate-catalogue.ts from CatalogueFile values; JSON's inferred types are wider.
const FILES = { aws, gcp, azure } as unknown as Record<Cloud, CatalogueFile>;
const loaded = new Map<Cloud, LoadedCatalogue>();

function catalogue(cloud: Cloud): LoadedCatalogue {
  let entry = loaded.get(cloud);
  if (!entry) {
    const file = FILES[cloud];
    entry = { file, regionIndex: new Map(file.regions.map((region, i) => [region.name, i])), specs: new Map() };
    loaded.set(cloud, entry);
  }
  return entry;
}

function row(cloud: Cloud, name: string): CatalogueTypeRow | undefined {
  const types = catalogue(cloud).file.types;
  return Object.prototype.hasOwnProperty.call(types, name) ? types[name] : undefined;
}

function spec(cloud: Cloud, name: string, { onDemand: _onDemand, spot: _spot, ...capacity }: CatalogueTypeRow): InstanceTypeSpec {
  const specs = catalogue(cloud).specs;
  let found = specs.get(name);
  if (!found) specs.set(name, (found = Object.freeze({ name, cloud, ...capacity })));
  return found;
}

export function findCatalogueType(cloud: Cloud, name: string): InstanceTypeSpec | undefined {
  const found = row(cloud, name);
  return found && spec(cloud, name, found);
}

/** The regions the catalogue prices, in name order. */
export function catalogueRegions(cloud: Cloud): string[] {
  return catalogue(cloud).file.regions.map((region) => region.name);
}

export function regionPrices(cloud: Cloud, region: string): RegionPrices | undefined {
  const { file, regionIndex } = catalogue(cloud);
  const index = regionIndex.get(region);
  if (index === undefined) return undefined;
  const source = file.sources[file.regions[index]!.source]!;
  return { region, currency: file.currency, priceDate: source.priceDate, old: source.old === true, source };
}

/** Every source the cloud's catalogue was built from. */
export function catalogueSources(cloud: Cloud): PriceSource[] {
  return catalogue(cloud).file.sources;
}

function priceAt(found: CatalogueTypeRow, index: number): Price | undefined {
  const onDemand = found.onDemand[index];
  if (onDemand === null || onDemand === undefined) return undefined;
  const spot = found.spot?.[index];
  return spot === null || spot === undefined ? { onDemand } : { onDemand, spot };
}

/** The type's price in the region; undefined if the type is unknown, or not offered or not priced there. */
export function findPrice(cloud: Cloud, region: string, name: string): Price | undefined {
  const index = catalogue(cloud).regionIndex.get(region);
  const found = row(cloud, name);
  return index === undefined || !found ? undefined : priceAt(found, index);
}

export interface InstanceTypeFilter {
  minCpu?: number;
  minMemoryGiB?: number;
  /** true: at least one GPU; false: none; a number: at least that many. */
  gpu?: boolean | number;
  /** Matched without regard to case. */
  gpuModel?: string;
  arch?: Arch;
}

function matches(found: CatalogueTypeRow, filter: InstanceTypeFilter): boolean {
  const { minCpu = 0, minMemoryGiB = 0, gpu, gpuModel, arch } = filter;
  const minGpus = gpu === true ? 1 : typeof gpu === 'number' ? gpu : 0;
  return (
    found.cpu >= minCpu &&
    found.memoryGiB >= minMemoryGiB &&
    found.gpus >= minGpus &&
    (gpu !== false || found.gpus === 0) &&
    (gpuModel === undefined || found.gpuModel?.toLowerCase() === gpuModel.toLowerCase()) &&
    (arch === undefined || found.arch === arch)
  );
}

/** The cloud's types that pass the filter, in name order, each with its spec. */
export function listInstanceTypes(cloud: Cloud, filter: InstanceTypeFilter = {}): InstanceTypeSpec[] {
  return Object.entries(catalogue(cloud).file.types)
    .filter(([, found]) => matches(found, filter))
    .map(([name, found]) => spec(cloud, name, found));
}

/** The types offered and priced in the region that pass the filter, in name order, with their prices. */
export function listPricedInstanceTypes(cloud: Cloud, region: string, filter: InstanceTypeFilter = {}): PricedInstanceType[] {
  const index = catalogue(cloud).regionIndex.get(region);
  if (index === undefined) return [];
  const priced: PricedInstanceType[] = [];
  for (const [name, found] of Object.entries(catalogue(cloud).file.types)) {
    const price = matches(found, filter) ? priceAt(found, index) : undefined;
    if (price) priced.push({ ...spec(cloud, name, found), region, ...price });
  }
  return priced;
}
