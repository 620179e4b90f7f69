import { CoreV1Api, KubeConfig, VersionApi } from '@kubernetes/client-node';

/** A CoreV1 client for a cluster, from its kubeconfig text (never stored by us). */
export function coreApi(kubeconfig: string): CoreV1Api {
  const config = new KubeConfig();
  config.loadFromString(kubeconfig);
  return config.makeApiClient(CoreV1Api);
}

/** HTTP status of a failed Kubernetes API call, if it was one. */
export function kubeStatus(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** The API server's version, or a rejection when it does not answer within `timeoutMs`. */
export async function probeVersion(kubeconfig: string, timeoutMs = 5_000): Promise<string> {
  const config = new KubeConfig();
  config.loadFromString(kubeconfig);
  const version = await answerWithin(() => config.makeApiClient(VersionApi).getCode(), undefined, timeoutMs);
  return version.gitVersion;
}

/** How long a read of a cluster's objects may wait for its answer. */
const READ_TIMEOUT_MS = 30_000;

/** A call's answer, or a rejection when it does not come within `timeoutMs` or `signal` aborts: a read never waits on a silent cluster. */
export function answerWithin<T>(call: () => Promise<T>, signal?: AbortSignal, timeoutMs = READ_TIMEOUT_MS): Promise<T> {
  signal?.throwIfAborted();
  return Promise.race([
    call(),
    new Promise<never>((_, reject) => {
      setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref();
      signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
    }),
  ]);
}
