import { KubeConfig } from '@kubernetes/client-node';
import { kubeconfigProblems, type TenantKubeconfigs } from '../adapters/kubeconfig/tenant.js';
import { probeVersion } from '../adapters/kube/client.js';
import type { Problem } from '../domain/problems.js';
import { invalid } from './errors.js';

const FIELD = ['values', 'kubeconfig'];
// One answer whether the policy refused the address, nothing listens there, or something that is not Kubernetes does:
// a tenant must not learn which ports of which addresses are open.
const UNREACHABLE = "not reachable from Flotilla as a Kubernetes API server: refused by Flotilla's endpoint policy, or not answering";

/**
 * A tenant's kubeconfig is accepted when the rules allow all of it (nothing
 * is run or read while checking) and its current context's API server
 * answers through the egress guard.
 */
export async function checkKubeconfig(text: string, tenant: TenantKubeconfigs, timeoutMs = 5_000): Promise<string> {
  const problems = kubeconfigProblems(text, tenant.rules);
  if (problems.length) throw invalid(problems.map((p) => ({ ...p, path: [...FIELD, ...p.path] })));
  const config = new KubeConfig();
  try {
    config.loadFromString(text);
  } catch (err) {
    throw invalid([{ path: FIELD, message: `not a kubeconfig: ${(err as Error).message.split('\n')[0]}` }]);
  }
  const current = config.getCurrentCluster();
  if (!current) throw invalid([{ path: FIELD, message: 'has no current context with a cluster' }]);
  const server: Problem['path'] = [...FIELD, ...(tenant.servers(text).find((s) => s.server === current.server)?.path ?? [])];
  try {
    return await probeVersion(await tenant.forConnection(text), timeoutMs);
  } catch {
    throw invalid([{ path: server, message: `${current.server} is ${UNREACHABLE}` }]);
  }
}
