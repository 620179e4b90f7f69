/** Capacity of one node of an instance type, as a simulated node reports it (cloud types: catalogue/provider-types.ts). */
export interface InstanceType {
  name: string;
  cpu: number;
  memoryGiB: number;
  gpus?: number;
  /** amd64 unless the catalogue says otherwise. */
  arch?: 'amd64' | 'arm64';
  /** The cloud's accelerator name, where a GPU is requested separately from the machine (GKE). */
  accelerator?: string;
}

/**
 * The catalogue of the local providers (kwok, sim). Names follow no cloud on
 * purpose: these nodes are simulated, and a name like m5.large would suggest
 * otherwise; a local cluster with a `flavor` takes that cloud's types as well.
 */
export const LOCAL_INSTANCE_TYPES: readonly InstanceType[] = [
  { name: 'standard-2', cpu: 2, memoryGiB: 8 },
  { name: 'standard-4', cpu: 4, memoryGiB: 16 },
  { name: 'standard-8', cpu: 8, memoryGiB: 32 },
  { name: 'highmem-4', cpu: 4, memoryGiB: 32 },
  { name: 'gpu-8', cpu: 8, memoryGiB: 61, gpus: 1 },
];
