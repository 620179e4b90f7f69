// Writes the instance-type and price catalogue Flotilla ships
// (src/domain/catalogue/data/<cloud>.json) from the converted public catalogues
// in a prices folder (aws.json, aws-regional-2022.json, gcp.json, azure.json;
// their README says where each comes from):
//
//   npx tsx scripts/generate-catalogue.ts <prices folder> [output folder]
//
// The output is deterministic: the same inputs give the same bytes.
// docs/economics.md says how to refresh the inputs.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CLOUDS, type CatalogueFile, type CatalogueRegion, type CatalogueTypeRow, type Cloud, type PriceSource } from '../src/domain/catalogue/data-format.js';

/** One converted file, as the prices folder holds it. */
interface PricesInput {
  provider: Cloud;
  source: PriceSource['prices'];
  specSources?: Record<string, string>[];
  currency: string;
  unit: string;
  notes: string[];
  instanceTypes: Record<string, InputSpec>;
  regions: Record<string, Record<string, { onDemand: number; spot?: number }>>;
}

interface InputSpec {
  vcpu: number;
  memoryGiB: number;
  gpu: number;
  gpuModel?: string;
  gpuFraction?: number;
  arch: 'amd64' | 'arm64';
  family: string;
  sharedCore?: boolean;
  cpuShare?: number;
}

/** Which input files make each cloud's catalogue; for AWS the current file comes first and wins where both price a region. */
const INPUTS: Record<Cloud, { file: string; old?: boolean }[]> = {
  aws: [{ file: 'aws.json' }, { file: 'aws-regional-2022.json', old: true }],
  gcp: [{ file: 'gcp.json' }],
  azure: [{ file: 'azure.json' }],
};

const BURSTABLE: Record<Cloud, (name: string, spec: InputSpec) => boolean> = {
  aws: (_name, spec) => ['t3', 't3a', 't4g'].includes(spec.family),
  gcp: (_name, spec) => spec.sharedCore === true,
  azure: (name) => /^Standard_B\d/.test(name),
};

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function read(folder: string, file: string): { input: PricesInput; sha256: string } {
  const bytes = readFileSync(join(folder, file));
  const input = JSON.parse(bytes.toString('utf8')) as PricesInput;
  if (input.currency !== 'USD' || input.unit !== 'hour') throw new Error(`${file}: expected USD per hour, got ${input.currency} per ${input.unit}`);
  return { input, sha256: createHash('sha256').update(bytes).digest('hex') };
}

function typeRow(cloud: Cloud, name: string, spec: InputSpec): Omit<CatalogueTypeRow, 'onDemand' | 'spot'> {
  return {
    cpu: spec.vcpu,
    memoryGiB: spec.memoryGiB,
    gpus: spec.gpu,
    ...(spec.gpu > 0 && spec.gpuModel ? { gpuModel: spec.gpuModel } : {}),
    ...(spec.gpuFraction !== undefined ? { gpuFraction: spec.gpuFraction } : {}),
    arch: spec.arch,
    family: spec.family,
    ...(BURSTABLE[cloud](name, spec) ? { burstable: true } : {}),
    ...(spec.cpuShare !== undefined ? { cpuShare: spec.cpuShare } : {}),
  };
}

export function buildCatalogue(cloud: Cloud, folder: string): CatalogueFile {
  const sources: PriceSource[] = [];
  const inputs: Record<string, string> = {};
  const regionSource = new Map<string, number>();
  const specs = new Map<string, InputSpec>();
  const files = INPUTS[cloud].map(({ file, old }) => ({ ...read(folder, file), file, old }));
  for (const { input, sha256, file, old } of files) {
    if (input.provider !== cloud) throw new Error(`${file}: provider ${input.provider}, expected ${cloud}`);
    inputs[file] = sha256;
    const index = sources.push({
      priceDate: input.source.generatedAt.slice(0, 10),
      ...(old ? { old: true } : {}),
      prices: input.source,
      specSources: input.specSources ?? [],
      notes: input.notes,
    }) - 1;
    for (const region of Object.keys(input.regions)) if (!regionSource.has(region)) regionSource.set(region, index);
    for (const [name, spec] of Object.entries(input.instanceTypes)) if (!specs.has(name)) specs.set(name, spec);
  }

  const regions: CatalogueRegion[] = [...regionSource].map(([name, source]) => ({ name, source })).sort((a, b) => byName(a.name, b.name));
  const priced = (name: string, kind: 'onDemand' | 'spot') =>
    regions.map(({ name: region, source }) => files[source]!.input.regions[region]![name]?.[kind] ?? null);
  const types: Record<string, CatalogueTypeRow> = {};
  for (const name of [...specs.keys()].sort(byName)) {
    const onDemand = priced(name, 'onDemand');
    if (onDemand.every((price) => price === null)) continue; // priced only in a region the newer file replaced
    const spot = priced(name, 'spot');
    types[name] = { ...typeRow(cloud, name, specs.get(name)!), onDemand, ...(spot.some((price) => price !== null) ? { spot } : {}) };
  }
  return { cloud, currency: 'USD', generatedBy: { script: 'scripts/generate-catalogue.ts', inputs }, sources, regions, types };
}

/** JSON with one instance type per line, so a refresh's diff shows which types changed. */
export function formatCatalogue(catalogue: CatalogueFile): string {
  const { types, ...head } = catalogue;
  const headJson = JSON.stringify(head, null, 2);
  const rows = Object.entries(types).map(([name, row]) => `    ${JSON.stringify(name)}: ${JSON.stringify(row)}`);
  return `${headJson.slice(0, -2)},\n  "types": {\n${rows.join(',\n')}\n  }\n}\n`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [folder, out = new URL('../src/domain/catalogue/data/', import.meta.url).pathname] = process.argv.slice(2);
  if (!folder) {
    process.stderr.write('usage: npx tsx scripts/generate-catalogue.ts <prices folder> [output folder]\n');
    process.exit(2);
  }
  for (const cloud of CLOUDS) {
    const catalogue = buildCatalogue(cloud, folder);
    const text = formatCatalogue(catalogue);
    writeFileSync(join(out, `${cloud}.json`), text);
    process.stdout.write(`${cloud}: ${Object.keys(catalogue.types).length} types, ${catalogue.regions.length} regions, ${text.length} bytes\n`);
  }
}
