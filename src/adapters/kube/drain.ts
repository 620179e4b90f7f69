import { PatchStrategy, setHeaderOptions, type CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/activity';
import { setTimeout as sleep } from 'node:timers/promises';
import { FailureType } from '../../domain/problems.js';
import { kubeStatus } from './client.js';

/** Between evictions a PodDisruptionBudget refused, and between looks at a draining node. */
const RETRY_MS = 1_000;

export async function setUnschedulable(api: CoreV1Api, node: string, unschedulable: boolean): Promise<void> {
  await api.patchNode({ name: node, body: { spec: { unschedulable } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
}

/** The pods a drain moves off the node: not a DaemonSet's (they belong on every node) nor a static pod's mirror. */
async function podsToMove(api: CoreV1Api, node: string): Promise<V1Pod[]> {
  const list = await api.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${node}` });
  return list.items.filter((p) => !p.metadata?.annotations?.['kubernetes.io/config.mirror'] && !p.metadata?.ownerReferences?.some((o) => o.kind === 'DaemonSet'));
}

/**
 * `kubectl drain`: cordons the node, then evicts its pods through the Eviction API, so that every
 * PodDisruptionBudget is respected: a 429 is the budget saying "not now", and the eviction is asked
 * again until the deadline. Returns once no pod is left on the node. Past the deadline the node is
 * uncordoned, so the cluster keeps its capacity, and the drain fails naming the pods that stayed.
 */
export async function drainNode(api: CoreV1Api, node: string, timeoutSeconds: number, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  await setUnschedulable(api, node, true);
  for (;;) {
    signal?.throwIfAborted();
    const pods = await podsToMove(api, node);
    if (!pods.length) return;
    // Those already leaving (evicted in an earlier round) are waited for.
    for (const pod of pods.filter((p) => !p.metadata?.deletionTimestamp)) await evict(api, pod);
    if (Date.now() > deadline) {
      await setUnschedulable(api, node, false);
      const names = pods.map((p) => `${p.metadata!.namespace}/${p.metadata!.name}`).join(', ');
      throw ApplicationFailure.nonRetryable(
        `drain of node ${node} timed out after ${timeoutSeconds} s: ${names} still there (a PodDisruptionBudget allowed no disruption)`,
        FailureType.drainTimedOut,
      );
    }
    await sleep(RETRY_MS, undefined, { signal });
  }
}

/** One eviction; a 429 (the budget refuses now) and a 404 (gone already) leave the pod to the next round. */
async function evict(api: CoreV1Api, pod: V1Pod): Promise<void> {
  const { name, namespace } = pod.metadata as { name: string; namespace: string };
  try {
    await api.createNamespacedPodEviction({ name, namespace, body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace } } });
  } catch (err) {
    if (kubeStatus(err) !== 429 && kubeStatus(err) !== 404) throw err;
  }
}
