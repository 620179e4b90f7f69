/**
 * The shape of the shipped catalogue files (data/<cloud>.json), written by
 * scripts/generate-catalogue.ts. Prices are in tables, one row per instance
 * type and one column per region, so a file stays small and one type's
 * change is one line of a diff.
 */

export const CLOUDS = ['aws', 'gcp', 'azure'] as const;
export type Cloud = (typeof CLOUDS)[number];

export const ARCHES = ['amd64', 'arm64'] as const;
export type Arch = (typeof ARCHES)[number];

/** Where one set of prices came from, and as of when. */
export interface PriceSource {
  /** The day the upstream data was generated: the prices are as of this day, not live. */
  priceDate: string;
  /** Older than the catalogue's other prices; used only where nothing newer exists. */
  old?: boolean;
  prices: { repo: string; path: string; commit: string; license: string; generatedAt: string };
  specSources: Record<string, string>[];
  notes: string[];
}

export interface CatalogueRegion {
  name: string;
  /** Index into `sources`. */
  source: number;
}

/** What one node of an instance type has, the same in every region. */
export interface InstanceCapacity {
  cpu: number;
  memoryGiB: number;
  gpus: number;
  gpuModel?: string;
  /** Each GPU is this share of one physical GPU (AWS g6f, gr6f). */
  gpuFraction?: number;
  arch: Arch;
  family: string;
  /** Its vCPUs are not all sustained: AWS t3/t3a/t4g, Azure B-series, GCP shared-core e2. */
  burstable?: boolean;
  /** GCP shared-core: the share of its vCPUs that is billed and sustained. */
  cpuShare?: number;
}

/** One instance type: its capacity, and its hourly prices by region (null: not offered or not priced there). */
export interface CatalogueTypeRow extends InstanceCapacity {
  onDemand: (number | null)[];
  /** Absent when the cloud's source has no spot prices. */
  spot?: (number | null)[];
}

export interface CatalogueFile {
  cloud: Cloud;
  currency: 'USD';
  /** How the file was made: the generator and the SHA-256 of each input file. */
  generatedBy: { script: string; inputs: Record<string, string> };
  sources: PriceSource[];
  regions: CatalogueRegion[];
  types: Record<string, CatalogueTypeRow>;
}
