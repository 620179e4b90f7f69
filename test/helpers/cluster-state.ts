import type { WorkflowHandle } from '@temporalio/client';
import { clusterStateQuery } from '../../src/workflows/messages.js';
import type { ClusterState } from '../../src/domain/cluster-state.js';
import { eventually } from './stack.js';

/** The cluster entity's state once `ready` holds, queried on its latest run (continue-as-new changes the run ID). */
export function stateWhen(handle: WorkflowHandle, ready: (s: ClusterState) => boolean, what: string): Promise<ClusterState> {
  const latest = handle.client.getHandle(handle.workflowId);
  return eventually(async () => {
    const state = await latest.query(clusterStateQuery);
    return ready(state) ? state : undefined;
  }, what);
}
