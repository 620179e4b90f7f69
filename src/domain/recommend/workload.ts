import { parseQuantity } from '../quantity.js';
import type { Requirement, Resources } from './layout.js';

/** One workload of a rendered chart: its pods' requests, times its replicas, or on every node. */
export interface WorkloadEntry {
  kind: string;
  name: string;
  /** Pods at once; for a DaemonSet, one per node (`perNode`). */
  replicas: number;
  perNode: boolean;
  /** One pod's requests, as the scheduler counts them (init containers and sidecars included, plus the pod's overhead). */
  pod: Resources;
}

/** What a chart's pods ask for, summed from its rendered manifests. */
export interface ChartWorkload {
  /** Σ replicas × pod requests of every workload that is not a DaemonSet. */
  pods: Resources;
  /** Σ of the DaemonSets' pod requests: taken again on every node of a layout. */
  perNode: Resources;
  /** Per resource, the most any one of those pods asks for: a node must hold it beside `perNode`. */
  largestPod: Resources;
  workloads: WorkloadEntry[];
  /** What could not be read (a malformed quantity or replica count), naming the object. */
  problems: string[];
}

const ZERO: Resources = { cpu: 0, memoryGiB: 0, gpu: 0 };
const GIB = 2 ** 30;
/** Extended resources counted as GPUs: nvidia.com/gpu, amd.com/gpu, gpu.intel.com/... end in /gpu. */
const GPU_RESOURCE = /\/gpu$/;

type Obj = Record<string, unknown>;
const isObj = (value: unknown): value is Obj => typeof value === 'object' && value !== null && !Array.isArray(value);
const objAt = (value: unknown, ...path: string[]): Obj | undefined => {
  let current = value;
  for (const key of path) current = isObj(current) ? current[key] : undefined;
  return isObj(current) ? current : undefined;
};
const listAt = (value: Obj | undefined, key: string): unknown[] => (Array.isArray(value?.[key]) ? (value[key] as unknown[]) : []);

const add = (a: Resources, b: Resources, times = 1): Resources => ({ cpu: a.cpu + times * b.cpu, memoryGiB: a.memoryGiB + times * b.memoryGiB, gpu: a.gpu + times * b.gpu });
const max = (a: Resources, b: Resources): Resources => ({ cpu: Math.max(a.cpu, b.cpu), memoryGiB: Math.max(a.memoryGiB, b.memoryGiB), gpu: Math.max(a.gpu, b.gpu) });
/** Millicores and bytes are what Kubernetes counts in: no float dust from sums like 0.1 + 0.2. */
const tidy = (r: Resources): Resources => ({ cpu: Math.round(r.cpu * 1000) / 1000, memoryGiB: Math.round(r.memoryGiB * GIB) / GIB, gpu: r.gpu });

/** Where a workload kind keeps its pod template and how many pods it runs at once. */
const WORKLOAD_KINDS: Record<string, { template: string[]; replicas: (spec: Obj) => unknown; perNode?: true }> = {
  Deployment: { template: ['spec', 'template', 'spec'], replicas: (spec) => spec.replicas ?? 1 },
  StatefulSet: { template: ['spec', 'template', 'spec'], replicas: (spec) => spec.replicas ?? 1 },
  ReplicaSet: { template: ['spec', 'template', 'spec'], replicas: (spec) => spec.replicas ?? 1 },
  ReplicationController: { template: ['spec', 'template', 'spec'], replicas: (spec) => spec.replicas ?? 1 },
  DaemonSet: { template: ['spec', 'template', 'spec'], replicas: () => 1, perNode: true },
  // A Job runs `parallelism` pods at once (never more than its completions); a CronJob's job likewise, counted as if running.
  Job: { template: ['spec', 'template', 'spec'], replicas: (spec) => jobPods(spec) },
  CronJob: { template: ['spec', 'jobTemplate', 'spec', 'template', 'spec'], replicas: (spec) => jobPods(objAt(spec, 'jobTemplate', 'spec') ?? {}) },
  Pod: { template: ['spec'], replicas: () => 1 },
};

function jobPods(jobSpec: Obj): unknown {
  const parallelism = jobSpec.parallelism ?? 1;
  const completions = jobSpec.completions;
  return typeof parallelism === 'number' && typeof completions === 'number' ? Math.min(parallelism, completions) : parallelism;
}

/**
 * The pods' requests of a chart's rendered objects (`helm template`, parsed):
 * Deployments, StatefulSets, ReplicaSets, ReplicationControllers, Jobs, CronJobs
 * and Pods count replicas × pod requests, DaemonSets count per node. A
 * container's request is its `requests`, else its `limits` (as Kubernetes
 * defaults it). Helm hooks (tests, pre-install jobs) run beside an install,
 * not with the workload, and are left out.
 */
export function chartWorkload(objects: readonly unknown[]): ChartWorkload {
  const workload: ChartWorkload = { pods: ZERO, perNode: ZERO, largestPod: ZERO, workloads: [], problems: [] };
  for (const object of objects.flatMap((o) => (isObj(o) && o.kind === 'List' ? listAt(o, 'items') : [o]))) {
    if (!isObj(object) || typeof object.kind !== 'string' || !WORKLOAD_KINDS[object.kind]) continue;
    if (objAt(object, 'metadata', 'annotations')?.['helm.sh/hook'] !== undefined) continue;
    const kind = WORKLOAD_KINDS[object.kind]!;
    const name = `${object.kind}/${String(objAt(object, 'metadata')?.name ?? '?')}`;
    const replicas = kind.replicas(objAt(object, 'spec') ?? {});
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      workload.problems.push(`${name}: replicas ${JSON.stringify(replicas)?.slice(0, 40)} is not a whole number, 0 or more`);
      continue;
    }
    const pod = podRequests(objAt(object, ...kind.template) ?? {}, (problem) => workload.problems.push(`${name}: ${problem}`));
    workload.workloads.push({ kind: object.kind, name: name.slice(object.kind.length + 1), replicas, perNode: kind.perNode === true, pod });
    if (kind.perNode) workload.perNode = tidy(add(workload.perNode, pod));
    else if (replicas > 0) {
      workload.pods = tidy(add(workload.pods, pod, replicas));
      workload.largestPod = max(workload.largestPod, pod);
    }
  }
  return workload;
}

/**
 * One pod's requests as the scheduler counts them, resource by resource: the
 * app containers and sidecars (init containers that keep running) together,
 * or an init container with the sidecars started before it, whichever is
 * more; plus the pod's overhead.
 */
function podRequests(spec: Obj, problem: (message: string) => void): Resources {
  const request = (container: unknown) => containerRequests(container, problem);
  let sidecars = ZERO;
  let initPeak = ZERO;
  for (const init of listAt(spec, 'initContainers')) {
    if (isObj(init) && init.restartPolicy === 'Always') sidecars = add(sidecars, request(init));
    else initPeak = max(initPeak, add(request(init), sidecars));
  }
  const running = listAt(spec, 'containers').reduce<Resources>((sum, container) => add(sum, request(container)), sidecars);
  return tidy(add(max(running, initPeak), resourcesOf(objAt(spec, 'overhead'), 'overhead', problem)));
}

function containerRequests(container: unknown, problem: (message: string) => void): Resources {
  const resources = objAt(container, 'resources');
  const name = isObj(container) ? String(container.name ?? '?') : '?';
  // Kubernetes takes a limit as the request of a resource that names no request.
  const merged = { ...objAt(resources, 'limits'), ...objAt(resources, 'requests') };
  return resourcesOf(merged, `container '${name}'`, problem);
}

function resourcesOf(list: Obj | undefined, where: string, problem: (message: string) => void): Resources {
  const amount = (resource: string, value: unknown) => {
    const parsed = parseQuantity(value);
    // Cut short: what a chart rendered there is the tenant's, and a quantity is never long.
    if (parsed === undefined) problem(`${where} asks for ${resource} ${JSON.stringify(value)?.slice(0, 40)}, not a quantity`);
    return parsed ?? 0;
  };
  let resources = ZERO;
  for (const [resource, value] of Object.entries(list ?? {})) {
    if (resource === 'cpu') resources = add(resources, { ...ZERO, cpu: amount(resource, value) });
    else if (resource === 'memory') resources = add(resources, { ...ZERO, memoryGiB: amount(resource, value) / GIB });
    else if (GPU_RESOURCE.test(resource)) resources = add(resources, { ...ZERO, gpu: amount(resource, value) });
  }
  return resources;
}

/**
 * The requirement a chart's workload makes: its pods in total, its DaemonSets
 * on every node, its largest pod on one node, and at least one node (a chart
 * of DaemonSets alone still needs a node to run on).
 */
export function workloadRequirement(workload: Pick<ChartWorkload, 'pods' | 'perNode' | 'largestPod'>): Pick<Requirement, 'cpu' | 'memoryGiB' | 'gpu' | 'perNode' | 'largestPod' | 'minNodes'> {
  return {
    cpu: workload.pods.cpu,
    memoryGiB: workload.pods.memoryGiB,
    ...(workload.pods.gpu > 0 ? { gpu: workload.pods.gpu } : {}),
    perNode: workload.perNode,
    largestPod: workload.largestPod,
    minNodes: 1,
  };
}
