/** Capacity of one node of an instance type, as a simulated node reports it. */
export interface InstanceType {
  name: string;
  cpu: number;
  memoryGiB: number;
  gpus?: number;
}

/**
 * The catalogue of the local providers (kwok, sim). Names follow no cloud on
 * purpose: these nodes are simulated, and a name like m5.large would suggest
 * otherwise.
 */
export const LOCAL_INSTANCE_TYPES: readonly InstanceType[] = [
  { name: 'standard-2', cpu: 2, memoryGiB: 8 },
  { name: 'standard-4', cpu: 4, memoryGiB: 16 },
  { name: 'standard-8', cpu: 8, memoryGiB: 32 },
  { name: 'highmem-4', cpu: 4, memoryGiB: 32 },
  { name: 'gpu-8', cpu: 8, memoryGiB: 61, gpus: 1 },
];

export function findInstanceType(catalogue: readonly InstanceType[], name: string): InstanceType | undefined {
  return catalogue.find((t) => t.name === name);
}
