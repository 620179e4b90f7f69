import { AppsV1Api, BatchV1Api, CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import type { ReleaseRef } from './helm.js';
import { readRelease } from './release-record.js';

/** Whether a release's workloads run: `failed` when waiting longer will not help (a Job that failed). */
export interface WorkloadHealth {
  ready: boolean;
  failed?: boolean;
  /** Why not ready: the first workload that is not, and what its pods say. */
  reason?: string;
}

const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job'] as const;
type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

interface Workload {
  metadata?: { name?: string; namespace?: string; generation?: number };
  spec?: Record<string, any>;
  status?: Record<string, any>;
}

/**
 * The health gate's read (what `helm upgrade --wait` waits for): Helm has the release deployed at
 * `revision`, and every Deployment, StatefulSet and DaemonSet in its manifest is available with
 * updated replicas and every Job complete. One list per workload kind and namespace, not a read per object.
 */
export async function releaseHealth(kubeconfig: string, release: ReleaseRef, revision: number): Promise<WorkloadHealth> {
  const record = await readRelease(kubeconfig, release);
  if (!record) return { ready: false, reason: 'release not installed' };
  if (record.revision !== revision) return { ready: false, failed: record.revision > revision, reason: `release is at revision ${record.revision}, not ${revision}` };
  if (record.status !== 'deployed') return { ready: false, failed: record.status === 'failed', reason: `helm reports the release ${record.status}` };
  const config = new KubeConfig();
  config.loadFromString(kubeconfig);
  const apps = config.makeApiClient(AppsV1Api);
  const batch = config.makeApiClient(BatchV1Api);
  const wanted = manifestWorkloads(record.manifest ?? '', release.namespace);
  const lists = new Map<string, Workload[]>();
  const list = async (kind: WorkloadKind, namespace: string): Promise<Workload[]> => {
    const key = `${kind}/${namespace}`;
    if (!lists.has(key)) {
      const found =
        kind === 'Deployment' ? await apps.listNamespacedDeployment({ namespace })
        : kind === 'StatefulSet' ? await apps.listNamespacedStatefulSet({ namespace })
        : kind === 'DaemonSet' ? await apps.listNamespacedDaemonSet({ namespace })
        : await batch.listNamespacedJob({ namespace });
      lists.set(key, found.items as Workload[]);
    }
    return lists.get(key)!;
  };
  for (const { kind, name, namespace } of wanted) {
    const object = (await list(kind, namespace)).find((o) => o.metadata?.name === name);
    const verdict = object ? workloadVerdict(kind, object) : { ready: false, reason: 'not found' };
    if (!verdict.ready) {
      const pods = object && !verdict.failed ? await podReason(config.makeApiClient(CoreV1Api), namespace, object) : undefined;
      return { ready: false, ...(verdict.failed ? { failed: true } : {}), reason: `${kind} ${name}: ${verdict.reason}${pods ? `; ${pods}` : ''}` };
    }
  }
  return { ready: true };
}

/** The workloads a rendered manifest makes. */
export function manifestWorkloads(manifest: string, namespace: string): { kind: WorkloadKind; name: string; namespace: string }[] {
  return parseAllDocuments(manifest)
    .map((doc) => doc.toJS() as { kind?: string; metadata?: { name?: string; namespace?: string } } | null)
    .filter((o): o is { kind: WorkloadKind; metadata: { name: string; namespace?: string } } => !!o && WORKLOAD_KINDS.includes(o.kind as WorkloadKind) && !!o.metadata?.name)
    .map((o) => ({ kind: o.kind, name: o.metadata.name, namespace: o.metadata.namespace ?? namespace }));
}

/** Helm's readiness rules for one workload, from its spec and status. */
export function workloadVerdict(kind: WorkloadKind, o: Workload): { ready: boolean; failed?: boolean; reason?: string } {
  const spec = o.spec ?? {};
  const status = o.status ?? {};
  if (kind === 'Job') {
    const condition = (type: string) => (status.conditions ?? []).find((c: any) => c.type === type && c.status === 'True');
    if (condition('Complete')) return { ready: true };
    const failed = condition('Failed');
    if (failed) return { ready: false, failed: true, reason: `failed: ${failed.message ?? failed.reason ?? ''}` };
    return { ready: false, reason: `${status.succeeded ?? 0} of ${spec.completions ?? 1} completions` };
  }
  if ((status.observedGeneration ?? 0) < (o.metadata?.generation ?? 0)) return { ready: false, reason: 'the new spec is not yet observed' };
  if (kind === 'DaemonSet') {
    const desired = status.desiredNumberScheduled ?? 0;
    if ((status.updatedNumberScheduled ?? 0) < desired) return { ready: false, reason: `${status.updatedNumberScheduled ?? 0} of ${desired} pods updated` };
    if ((status.numberAvailable ?? 0) < desired) return { ready: false, reason: `${status.numberAvailable ?? 0} of ${desired} pods available` };
    return { ready: true };
  }
  if (kind === 'Deployment' && spec.paused) return { ready: true };
  const progressing = (status.conditions ?? []).find((c: any) => c.type === 'Progressing');
  if (kind === 'Deployment' && progressing?.reason === 'ProgressDeadlineExceeded') return { ready: false, failed: true, reason: `progress deadline exceeded: ${progressing.message ?? ''}` };
  const replicas = spec.replicas ?? 1;
  const updated = status.updatedReplicas ?? 0;
  if (updated < replicas) return { ready: false, reason: `${updated} of ${replicas} replicas updated` };
  // As `kubectl rollout status`: an upgrade is done when no pod of the old revision is left, though those still serve.
  if (kind === 'Deployment' && (status.replicas ?? 0) > updated) return { ready: false, reason: `${(status.replicas ?? 0) - updated} old replicas pending termination` };
  if (kind === 'StatefulSet' && spec.updateStrategy?.type !== 'OnDelete' && status.updateRevision && status.currentRevision !== status.updateRevision) {
    return { ready: false, reason: `revision ${status.updateRevision} not rolled out to every pod` };
  }
  const available = kind === 'Deployment' ? (status.availableReplicas ?? 0) : (status.readyReplicas ?? 0);
  if (available < replicas) return { ready: false, reason: `${available} of ${replicas} replicas available` };
  return { ready: true };
}

/** What the workload's pods say about why they do not run: the scheduler's FailedScheduling event, or a container's waiting reason. */
async function podReason(core: CoreV1Api, namespace: string, o: Workload): Promise<string | undefined> {
  const matchLabels: Record<string, string> = o.spec?.selector?.matchLabels ?? {};
  const labelSelector = Object.entries(matchLabels).map(([k, v]) => `${k}=${v}`).join(',');
  if (!labelSelector) return undefined;
  const pods = (await core.listNamespacedPod({ namespace, labelSelector })).items;
  const unscheduled = pods.find((p) => p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'False'));
  if (unscheduled) {
    const name = unscheduled.metadata!.name!;
    const events = await core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.kind=Pod,involvedObject.name=${name},reason=FailedScheduling` });
    const latest = events.items.at(-1)?.message ?? unscheduled.status!.conditions!.find((c) => c.type === 'PodScheduled')!.message;
    return `pod ${name} FailedScheduling: ${latest ?? 'not scheduled'}`;
  }
  return pods.map(waitingReason).find((r) => r !== undefined);
}

function waitingReason(pod: V1Pod): string | undefined {
  const waiting = pod.status?.containerStatuses?.find((c) => c.state?.waiting)?.state?.waiting;
  return waiting ? `pod ${pod.metadata?.name}: ${waiting.reason ?? 'waiting'}${waiting.message ? `: ${waiting.message}` : ''}` : undefined;
}
