import { PatchStrategy, setHeaderOptions, type CoreV1Api, type V1Node, type V1NodeSystemInfo, type V1Taint } from '@kubernetes/client-node';
import { findInstanceType } from '../../../domain/catalogue/provider-types.js';
import type { ClusterRef, NodePoolSpec } from '../../../domain/cluster.js';
import { kubeStatus } from '../../kube/client.js';
import { drainNode } from '../../kube/drain.js';

export const POOL_LABEL = 'flotilla.io/nodepool';
/** The pool's own labels last applied, so a label dropped from the pool is removed from its nodes. */
const POOL_LABELS_ANNOTATION = 'flotilla.io/pool-labels';

/** Node `<pool>-<i>` for i < count: scaling down removes the highest indexes. */
export function nodeName(pool: string, index: number): string {
  return `${pool}-${index}`;
}

/** The node that replaces `<pool>-<i>` in an upgrade: `<pool>-<i>-v1-37-2`, the same index at another version. */
export function replacementName(pool: string, index: number, kubeletVersion: string): string {
  return `${nodeName(pool, index)}-${kubeletVersion.replaceAll('.', '-')}`;
}

function nodeIndex(pool: string, name: string): number {
  const suffix = name.slice(pool.length + 1);
  const index = /^(\d+)(-v\d+-\d+-\d+)?$/.exec(suffix);
  return name.startsWith(`${pool}-`) && index ? Number(index[1]) : -1;
}

export function kubeletVersionOf(node: V1Node): string | undefined {
  return node.status?.nodeInfo?.kubeletVersion;
}

function labelsFor(pool: NodePoolSpec, name: string, arch: string): Record<string, string> {
  return {
    ...pool.labels,
    'kubernetes.io/hostname': name,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': arch,
    'node.kubernetes.io/instance-type': pool.instanceType,
    'flotilla.io/capacity-type': pool.spot ? 'spot' : 'on-demand',
    type: 'kwok',
    [POOL_LABEL]: pool.name,
  };
}

function taintsFor(pool: NodePoolSpec): V1Taint[] {
  return (pool.taints ?? []).map((t) => ({ key: t.key, effect: t.effect, ...(t.value !== undefined ? { value: t.value } : {}) }));
}

/**
 * A KWOK node: the annotation hands it to the kwok controller, which keeps it Ready and runs its pods.
 * Its capacity is its type's: a local one, or with the cluster's flavor a cloud's, as that cloud's node has.
 */
export function nodeManifest(cluster: Pick<ClusterRef, 'provider' | 'flavor'>, pool: NodePoolSpec, index: number, kubeletVersion: string, name = nodeName(pool.name, index)): V1Node {
  const type = findInstanceType(cluster, pool.instanceType);
  if (!type) throw new Error(`unknown instance type ${pool.instanceType}`);
  const capacity: Record<string, string> = { cpu: String(type.cpu), memory: `${type.memoryGiB}Gi`, pods: '110' };
  if (type.gpus) capacity['nvidia.com/gpu'] = String(type.gpus);
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: labelsFor(pool, name, type.arch ?? 'amd64'),
      annotations: {
        'kwok.x-k8s.io/node': 'fake',
        'node.alpha.kubernetes.io/ttl': '0',
        [POOL_LABELS_ANNOTATION]: JSON.stringify(Object.keys(pool.labels ?? {})),
      },
    },
    spec: { taints: taintsFor(pool) },
    // The kwok controller keeps the version a node is made with: what `kubectl get nodes` shows.
    // (The other fields of nodeInfo are a real kubelet's to report; the API server takes them as optional.)
    status: { capacity, allocatable: capacity, nodeInfo: { kubeletVersion, architecture: type.arch ?? 'amd64', operatingSystem: 'linux' } as V1NodeSystemInfo },
  };
}

export async function listPoolNodes(api: CoreV1Api, pool: string): Promise<V1Node[]> {
  const list = await api.listNode({ labelSelector: `${POOL_LABEL}=${pool}` });
  return list.items;
}

/**
 * Brings the pool's nodes to the spec: creates missing ones, deletes surplus
 * ones, re-applies labels and taints. Idempotent; returns the node count.
 */
export async function ensurePoolNodes(api: CoreV1Api, cluster: Pick<ClusterRef, 'provider' | 'flavor'>, pool: NodePoolSpec, kubeletVersion: string): Promise<number> {
  const existing = await listPoolNodes(api, pool.name);
  const byIndex = new Map(existing.map((n) => [nodeIndex(pool.name, n.metadata!.name!), n]));

  const surplus = existing.filter((n) => {
    const i = nodeIndex(pool.name, n.metadata!.name!);
    return i < 0 || i >= pool.count;
  });
  await Promise.all(surplus.map((n) => deleteNode(api, n.metadata!.name!)));

  const work: Promise<unknown>[] = [];
  for (let i = 0; i < pool.count; i++) {
    const node = byIndex.get(i);
    if (!node) work.push(createNode(api, nodeManifest(cluster, pool, i, kubeletVersion)));
    else work.push(reconcileNode(api, node, pool));
  }
  await Promise.all(work);
  return (await listPoolNodes(api, pool.name)).length;
}

/**
 * Rolling replacement, one node at a time: the new node at `kubeletVersion` first (surge), then the
 * old one drained (cordon, evictions its PodDisruptionBudgets allow) and deleted. Idempotent: a
 * node already at the version is left alone, a replacement made by an earlier attempt is kept.
 */
export async function upgradePoolNodes(
  api: CoreV1Api,
  cluster: Pick<ClusterRef, 'provider' | 'flavor'>,
  pool: NodePoolSpec,
  kubeletVersion: string,
  drainTimeoutSeconds: number,
  signal?: AbortSignal,
): Promise<number> {
  const old = (await listPoolNodes(api, pool.name)).filter((n) => kubeletVersionOf(n) !== kubeletVersion);
  for (const node of old.sort((a, b) => a.metadata!.name!.localeCompare(b.metadata!.name!))) {
    const index = nodeIndex(pool.name, node.metadata!.name!);
    if (index >= 0) await createNode(api, nodeManifest(cluster, pool, index, kubeletVersion, replacementName(pool.name, index, kubeletVersion)));
    await drainNode(api, node.metadata!.name!, drainTimeoutSeconds, signal);
    await deleteNode(api, node.metadata!.name!);
  }
  return (await listPoolNodes(api, pool.name)).length;
}

export async function deletePoolNodes(api: CoreV1Api, pool: string): Promise<void> {
  const nodes = await listPoolNodes(api, pool);
  await Promise.all(nodes.map((n) => deleteNode(api, n.metadata!.name!)));
}

async function createNode(api: CoreV1Api, body: V1Node): Promise<void> {
  try {
    await api.createNode({ body });
  } catch (err) {
    if (kubeStatus(err) !== 409) throw err; // created by an earlier attempt
  }
}

async function deleteNode(api: CoreV1Api, name: string): Promise<void> {
  try {
    await api.deleteNode({ name });
  } catch (err) {
    if (kubeStatus(err) !== 404) throw err;
  }
}

async function reconcileNode(api: CoreV1Api, node: V1Node, pool: NodePoolSpec): Promise<void> {
  const name = node.metadata!.name!;
  // The type, and so the architecture, is fixed at the pool's creation.
  const wanted = labelsFor(pool, name, node.metadata?.labels?.['kubernetes.io/arch'] ?? 'amd64');
  const previous = JSON.parse(node.metadata?.annotations?.[POOL_LABELS_ANNOTATION] ?? '[]') as string[];
  const labels: Record<string, string | null> = { ...wanted };
  for (const key of previous) if (!(key in wanted)) labels[key] = null;
  // Taints the node controller manages (node.kubernetes.io/...) stay; the pool's replace the rest.
  const systemTaints = (node.spec?.taints ?? []).filter((t) => t.key.startsWith('node.kubernetes.io/'));
  const taints = [...systemTaints, ...taintsFor(pool)];

  const current = node.metadata?.labels ?? {};
  const labelsMatch = Object.entries(labels).every(([k, v]) => (v === null ? !(k in current) : current[k] === v));
  const taintsMatch = JSON.stringify(node.spec?.taints ?? []) === JSON.stringify(taints);
  if (labelsMatch && taintsMatch) return;

  await api.patchNode(
    {
      name,
      body: {
        metadata: { labels, annotations: { [POOL_LABELS_ANNOTATION]: JSON.stringify(Object.keys(pool.labels ?? {})) } },
        spec: { taints },
      },
    },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}
