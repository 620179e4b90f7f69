import type { WorkflowHandle } from '@temporalio/client';
import { SimCloud } from '../../src/adapters/providers/sim/index.js';
import type { ClusterSpec } from '../../src/domain/cluster.js';
import { clusterEntity, startEntity } from '../../src/temporal/entity-starts.js';
import { stateWhen } from './cluster-state.js';
import { startStack, type Stack } from './stack.js';

/**
 * A workflow suite's stack on one sim cloud: started before the suite's tests, stopped after them, the
 * faults a test injected cleared after each. `stack` is set once the suite has started.
 */
export function simSuite(latencyMs = 20): { sim: SimCloud; stack: Stack } {
  const suite = { sim: new SimCloud({ latencyMs }) } as { sim: SimCloud; stack: Stack };
  beforeAll(async () => {
    suite.stack = await startStack({ providers: { sim: suite.sim.activities() } });
  });
  afterAll(() => suite.stack?.stop());
  afterEach(() => suite.sim.clear());
  return suite;
}

/** A cluster entity started for `spec`, once RUNNING. */
export async function runningCluster(stack: Stack, org: string, spec: ClusterSpec): Promise<WorkflowHandle> {
  const handle = await startEntity(stack.client, clusterEntity({ org, spec, requestId: `create-${spec.name}` }));
  await stateWhen(handle, (s) => s.status === 'RUNNING', 'RUNNING');
  return handle;
}
