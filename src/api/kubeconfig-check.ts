import { KubeConfig } from '@kubernetes/client-node';
import { probeVersion } from '../activities/kube/client.js';
import { invalid } from './errors.js';

/** A kubeconfig is accepted only when its current context answers: the API server's version is read. */
export async function checkKubeconfig(text: string, timeoutMs = 5_000): Promise<string> {
  const config = new KubeConfig();
  try {
    config.loadFromString(text);
  } catch (err) {
    // The first line only: the YAML parser goes on to quote the lines around the error, credentials and all.
    throw invalid([{ path: ['values', 'kubeconfig'], message: `not a kubeconfig: ${(err as Error).message.split('\n')[0]}` }]);
  }
  if (!config.getCurrentCluster()) throw invalid([{ path: ['values', 'kubeconfig'], message: 'has no current context with a cluster' }]);
  try {
    return await probeVersion(text, timeoutMs);
  } catch (err) {
    throw invalid([{ path: ['values', 'kubeconfig'], message: `its current context does not answer: ${(err as Error).message}` }]);
  }
}
