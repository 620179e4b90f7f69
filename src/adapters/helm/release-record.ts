import type { CoreV1Api } from '@kubernetes/client-node';
import { gunzipSync } from 'node:zlib';
import type { ObservedRelease } from '../../domain/deployment.js';
import type { Values } from '../../domain/values.js';
import { answerWithin, coreApi } from '../kube/client.js';

/** Helm's release record: what `helm upgrade --output json` prints and what its storage Secret holds. */
export interface HelmRelease {
  info: { status: string };
  chart: { metadata: { version: string } };
  /** The user-supplied values; absent when there are none. */
  config?: Values | null;
  version: number;
  /** The rendered objects Helm applied, as YAML documents (hooks apart). */
  manifest?: string;
}

export function observed(release: HelmRelease): ObservedRelease {
  return { status: release.info.status, revision: release.version, chartVersion: release.chart.metadata.version, values: release.config ?? {}, ...(release.manifest ? { manifest: release.manifest } : {}) };
}

/**
 * The latest revision of a release, read straight from the Secret Helm keeps
 * it in (driver `secret`: `sh.helm.release.v1.<name>.v<revision>`, labelled
 * owner=helm and name=<name>, the record gzipped and base64-encoded) — one
 * API call instead of two helm processes, which is what makes a reconcile
 * pass over a thousand targets affordable. Undefined when not installed.
 */
export async function readRelease(kubeconfig: string, ref: { name: string; namespace: string }, signal?: AbortSignal): Promise<ObservedRelease | undefined> {
  return (await readReleases(coreApi(kubeconfig), ref.namespace, `owner=helm,name=${ref.name}`, signal)).get(ref.name);
}

/**
 * The latest revision of every release in a namespace, by name, from one list (owner=helm): what
 * a reconcile pass reads once per cluster and namespace instead of once per release.
 */
export function readNamespaceReleases(kubeconfig: string, namespace: string, signal?: AbortSignal): Promise<Map<string, ObservedRelease>> {
  return readReleases(coreApi(kubeconfig), namespace, 'owner=helm', signal);
}

async function readReleases(api: CoreV1Api, namespace: string, labelSelector: string, signal?: AbortSignal): Promise<Map<string, ObservedRelease>> {
  const list = await answerWithin(() => api.listNamespacedSecret({ namespace, labelSelector }), signal);
  const latest = new Map<string, (typeof list.items)[number]>();
  for (const item of list.items) {
    const name = item.metadata?.labels?.name;
    if (name === undefined || !item.data?.release) continue;
    if (Number(item.metadata?.labels?.version) > Number(latest.get(name)?.metadata?.labels?.version ?? -1)) latest.set(name, item);
  }
  return new Map([...latest].map(([name, item]) => [name, observed(decode(item.data!.release!))]));
}

function decode(data: string): HelmRelease {
  return JSON.parse(gunzipSync(Buffer.from(Buffer.from(data, 'base64').toString(), 'base64')).toString()) as HelmRelease;
}
