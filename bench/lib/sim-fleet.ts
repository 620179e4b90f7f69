import { eventually } from '../../test/helpers/stack.js';
import { pool } from './context.js';
import type { BenchStack, Org } from './stack.js';

export const POOLS = ['a', 'b', 'c'];

/** Asks the API for sim clusters of three pools each, up to `concurrency` requests at a time. */
export async function createSimClusters(stack: BenchStack, org: Org, names: readonly string[], concurrency = 25): Promise<void> {
  await pool(names, concurrency, (name) =>
    stack.expect(202, org, 'POST', '/clusters', { name, provider: 'sim', nodePools: POOLS.map((p) => ({ name: p, instanceType: 'standard-2', count: 1 })) }),
  );
}

export async function deleteClusters(stack: BenchStack, org: Org, names: readonly string[], concurrency = 25): Promise<void> {
  await pool(names, concurrency, (name) => stack.expect(202, org, 'DELETE', `/clusters/${name}`));
}

/** Waits until `n` of the org's cluster entities match `clause` (one visibility count per second, so the wait itself costs little). */
export async function waitForClusters(stack: BenchStack, org: Org, clause: string, n: number, timeoutMs: number): Promise<void> {
  const query = `FlotillaKind = 'cluster' AND FlotillaOrg = '${org}' AND ${clause}`;
  await eventually(
    async () => {
      const { count } = await stack.client.workflow.count(query);
      if (count >= n) return true;
      await new Promise((r) => setTimeout(r, 800));
      return undefined;
    },
    `${n} clusters where ${clause}`,
    timeoutMs,
  );
}

/** Running entities in status `status`, or closed ones for DELETED. */
export function statusClause(status: 'RUNNING' | 'DELETED'): string {
  return status === 'DELETED' ? `ExecutionStatus = 'Completed' AND FlotillaStatus = 'DELETED'` : `ExecutionStatus = 'Running' AND FlotillaStatus = 'RUNNING'`;
}
