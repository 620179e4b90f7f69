/** Capacity of one node of an instance type, as a simulated node reports it. */
export interface InstanceType {
  name: string;
  cpu: number;
  memoryGiB: number;
  gpus?: number;
  /** The cloud's accelerator name, where a GPU is requested separately from the machine (GKE). */
  accelerator?: string;
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

/** A subset of each cloud's catalogue: enough to plan pools and to reject typos before a cloud call. */
export const EKS_INSTANCE_TYPES: readonly InstanceType[] = [
  { name: 't3.medium', cpu: 2, memoryGiB: 4 },
  { name: 't3.large', cpu: 2, memoryGiB: 8 },
  { name: 'm5.large', cpu: 2, memoryGiB: 8 },
  { name: 'm5.xlarge', cpu: 4, memoryGiB: 16 },
  { name: 'm5.2xlarge', cpu: 8, memoryGiB: 32 },
  { name: 'c5.xlarge', cpu: 4, memoryGiB: 8 },
  { name: 'r5.xlarge', cpu: 4, memoryGiB: 32 },
  { name: 'g4dn.xlarge', cpu: 4, memoryGiB: 16, gpus: 1 },
  { name: 'p3.2xlarge', cpu: 8, memoryGiB: 61, gpus: 1 },
];

export const GKE_INSTANCE_TYPES: readonly InstanceType[] = [
  { name: 'e2-standard-2', cpu: 2, memoryGiB: 8 },
  { name: 'e2-standard-4', cpu: 4, memoryGiB: 16 },
  { name: 'n2-standard-4', cpu: 4, memoryGiB: 16 },
  { name: 'n2-standard-8', cpu: 8, memoryGiB: 32 },
  { name: 'n2-highmem-4', cpu: 4, memoryGiB: 32 },
  { name: 'a2-highgpu-1g', cpu: 12, memoryGiB: 85, gpus: 1, accelerator: 'nvidia-tesla-a100' },
  { name: 'g2-standard-4', cpu: 4, memoryGiB: 16, gpus: 1, accelerator: 'nvidia-l4' },
];

export const AKS_INSTANCE_TYPES: readonly InstanceType[] = [
  { name: 'Standard_DS2_v2', cpu: 2, memoryGiB: 7 },
  { name: 'Standard_D2s_v3', cpu: 2, memoryGiB: 8 },
  { name: 'Standard_D4s_v3', cpu: 4, memoryGiB: 16 },
  { name: 'Standard_D8s_v3', cpu: 8, memoryGiB: 32 },
  { name: 'Standard_E4s_v3', cpu: 4, memoryGiB: 32 },
  { name: 'Standard_NC6s_v3', cpu: 6, memoryGiB: 112, gpus: 1 },
];

export function findInstanceType(catalogue: readonly InstanceType[], name: string): InstanceType | undefined {
  return catalogue.find((t) => t.name === name);
}
