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
  const api = coreApi(kubeconfig);
  const list = await listRecords(api, ref, signal);
  const latest = list.items.reduce<(typeof list.items)[number] | undefined>(
    (a, b) => (Number(b.metadata?.labels?.version) > Number(a?.metadata?.labels?.version ?? -1) ? b : a),
    undefined,
  );
  const data = latest?.data?.release;
  if (!data) return undefined;
  return observed(JSON.parse(gunzipSync(Buffer.from(Buffer.from(data, 'base64').toString(), 'base64')).toString()) as HelmRelease);
}

function listRecords(api: CoreV1Api, ref: { name: string; namespace: string }, signal?: AbortSignal) {
  return answerWithin(() => api.listNamespacedSecret({ namespace: ref.namespace, labelSelector: `owner=helm,name=${ref.name}` }), signal);
}
