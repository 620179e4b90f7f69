import { join } from 'node:path';
import { deploymentWorkflowId } from '../../src/domain/ids.js';
import type { DeploymentState } from '../../src/domain/groups.js';
import { deploymentStateQuery } from '../../src/workflows/messages.js';
import { eventually } from '../../test/helpers/stack.js';
import type { BenchStack, Org } from './stack.js';

/** The chart every benchmark deploys: the test fixture (a ConfigMap and a Deployment), copied under the stack's chart root. */
export const chartOf = (stack: BenchStack) => join(stack.chartRoot, 'hello');
export const NAMESPACE = 'bench';

/** Names of the KWOK clusters the KWOK benchmarks share: k01, k02, ... */
export function kwokClusterNames(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `k${String(i + 1).padStart(2, '0')}`);
}

/**
 * n real KWOK clusters in org `kwok`, made through the API (a worker with the
 * kwok provider must be running); those of an earlier benchmark of the run are reused.
 */
export async function kwokFleet(stack: BenchStack, n: number, log: (m: string) => void): Promise<string[]> {
  const names = kwokClusterNames(n);
  const missing = [];
  for (const name of names) {
    const res = await stack.call('kwok', 'GET', `/clusters/${name}`);
    if (res.status === 404 || res.body?.status === 'DELETED') missing.push(name);
  }
  if (missing.length) log(`creating ${missing.length} KWOK clusters (one control plane at a time)`);
  const create = (name: string) => stack.expect(202, 'kwok', 'POST', '/clusters', { name, provider: 'kwok', nodePools: [{ name: 'pool', instanceType: 'standard-2', count: 1 }] });
  for (const name of missing) await create(name);
  for (const name of names) {
    try {
      await waitForCluster(stack, 'kwok', name, 'RUNNING', 8 * 60_000);
    } catch (err) {
      // kwokctl picks free ports itself, and another kwokctl on the machine (a test run) can take one first: make it again.
      log(`${name} did not come up (${(err as Error).message}); deleting and creating it again`);
      await stack.expect(202, 'kwok', 'DELETE', `/clusters/${name}?force=true`);
      await eventually(async () => ((await stack.call('kwok', 'GET', `/clusters/${name}`)).body?.status === 'DELETED' ? true : undefined), `${name} deleted`, 5 * 60_000);
      await create(name);
      await waitForCluster(stack, 'kwok', name, 'RUNNING', 8 * 60_000);
    }
  }
  return names;
}

export async function waitForCluster(stack: BenchStack, org: Org, name: string, status: string, timeoutMs = 10 * 60_000): Promise<void> {
  await eventually(
    async () => {
      const res = await stack.call(org, 'GET', `/clusters/${name}`);
      if (res.body?.status === 'ERROR') throw new Error(`cluster ${name} went to ERROR: ${res.body.message}`);
      return res.body?.status === status ? true : undefined;
    },
    `cluster ${name} ${status}`,
    timeoutMs,
  );
}

/** A deployment's state straight from its workflow (GET over the API would read every target live with helm). */
export function deploymentState(stack: BenchStack, group: string, release: string): Promise<DeploymentState> {
  return stack.client.workflow.getHandle(deploymentWorkflowId('kwok', group, release)).query(deploymentStateQuery);
}

const busy = (state: DeploymentState) => state.operations.some((op) => op.state === 'QUEUED' || op.state === 'RUNNING');

/** Waits until the deployment has run everything it was asked to; fails unless every target is DEPLOYED. */
export async function settledDeployment(stack: BenchStack, group: string, release: string, timeoutMs = 15 * 60_000): Promise<DeploymentState> {
  const state = await eventually(
    async () => {
      const s = await deploymentState(stack, group, release);
      return busy(s) ? undefined : s;
    },
    `deployment ${release} settled`,
    timeoutMs,
  );
  const bad = state.targets.filter((t) => state.results[t.name]?.status !== 'DEPLOYED');
  if (bad.length) {
    const last = state.operations.at(-1);
    throw new Error(
      `deployment ${release}: not DEPLOYED on ${bad.map((t) => `${t.name} (${state.results[t.name]?.message ?? state.results[t.name]?.status})`).join(', ')}` +
        (last?.error ? `; its last operation: ${last.error}` : ''),
    );
  }
  return state;
}

/** Deletes a deployment and waits until it is gone (uninstalled everywhere). */
export async function deleteDeployment(stack: BenchStack, group: string, release: string): Promise<void> {
  await stack.expect(202, 'kwok', 'DELETE', `/clustergroups/${group}/deployments/${release}`);
  await eventually(async () => ((await deploymentState(stack, group, release)).status === 'DELETED' ? true : undefined), `deployment ${release} deleted`, 10 * 60_000);
}

/** Creates the group, or sets its members when it exists. */
export async function groupWith(stack: BenchStack, group: string, members: string[]): Promise<void> {
  const res = await stack.call('kwok', 'GET', `/clustergroups/${group}`);
  if (res.status === 404) await stack.expect(201, 'kwok', 'POST', '/clustergroups', { name: group, members });
  else if (JSON.stringify(res.body.members) !== JSON.stringify(members)) await stack.expect(200, 'kwok', 'PUT', `/clustergroups/${group}`, { members });
}

export async function deleteGroup(stack: BenchStack, group: string): Promise<void> {
  await stack.expect(202, 'kwok', 'DELETE', `/clustergroups/${group}?force=true`);
  await eventually(async () => ((await stack.call('kwok', 'GET', `/clustergroups/${group}`)).status === 404 ? true : undefined), `group ${group} deleted`, 10 * 60_000);
}
