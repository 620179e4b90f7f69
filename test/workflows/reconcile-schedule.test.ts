import { ScheduleNotFoundError, type ScheduleExecutionStartWorkflowActionResult, type ScheduleHandle } from '@temporalio/client';
import { SimCloud } from '../../src/adapters/providers/sim/index.js';
import { RECONCILE_SCHEDULE_ID } from '../../src/domain/ids.js';
import { ensureReconcileSchedule } from '../../src/temporal/reconcile-schedule.js';
import type { ReconcileResult } from '../../src/workflows/reconcile.js';
import { markedKubeconfig } from '../helpers/secret-markers.js';
import { eventually, startStack, type Stack } from '../helpers/stack.js';

// The reconcile schedule as every worker with the reconcile queue makes it
// (src/worker.ts, npm start), at a short interval, firing for real: a pass it
// starts completes on these workers. Its clusters are reached through a
// kubeconfig holding the secret markers, so the history scan
// (test/zz-history), which reads the schedule and its runs, would see one
// that leaked into them.

const base = '/api/v1/orgs/acme';
let stack: Stack;
let schedule: ScheduleHandle;

beforeAll(async () => {
  // Every sim cluster's API server is this marked kubeconfig's, where nothing listens: any RUNNING sim cluster a
  // pass probes (other suites' too) becomes WARNING, as a cluster that does not answer does.
  stack = await startStack({ providers: { sim: new SimCloud({ latencyMs: 5 }).activities() }, fleet: { sim: async () => markedKubeconfig() } });
  schedule = stack.client.schedule.getHandle(RECONCILE_SCHEDULE_ID);
  expect((await stack.api('POST', `${base}/clusters`, { body: { name: 'scheduled', provider: 'sim', nodePools: [{ name: 'a', instanceType: 'standard-2', count: 1 }] } })).status).toBe(202);
  await eventually(async () => ((await stack.api('GET', `${base}/clusters/scheduled`)).body.status === 'RUNNING' ? true : undefined), 'RUNNING');
});
afterAll(async () => {
  try {
    // Later suites' workers must run no pass: the schedule stays (the history scan reads it), paused, and the passes it
    // started finish here.
    try {
      await schedule.pause('reconcile-schedule.test.ts is done');
      for (const { action } of (await schedule.describe()).info.recentActions) await runOf(action).result();
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err; // the test failed before making it
    }
    // Other suites share the org: leave no cluster behind.
    await stack.api('DELETE', `${base}/clusters/scheduled`);
    await eventually(async () => ((await stack.api('GET', `${base}/clusters/scheduled`)).body.status === 'DELETED' ? true : undefined), 'DELETED');
  } finally {
    await stack?.stop();
  }
});

const runOf = (action: ScheduleExecutionStartWorkflowActionResult) => stack.client.workflow.getHandle(action.workflow.workflowId, action.workflow.firstExecutionRunId);

it('starts a reconcile pass on its interval that probes every cluster, and is brought to a new interval when it exists', async () => {
  await ensureReconcileSchedule(stack.client, '2s');
  const { result } = await eventually(async () => {
    for (const { action } of (await schedule.describe()).info.recentActions) {
      const run = runOf(action);
      if ((await run.describe()).status.name === 'COMPLETED') return { result: (await run.result()) as ReconcileResult };
    }
    return undefined;
  }, 'a completed run the schedule started');
  expect(result.unreachable).toContain('acme/scheduled');
  const cluster = await eventually(async () => {
    const body = (await stack.api('GET', `${base}/clusters/scheduled`)).body;
    return body.status === 'WARNING' ? body : undefined;
  }, 'scheduled WARNING');
  expect(cluster.message).toMatch(/^API server unreachable: /);

  await ensureReconcileSchedule(stack.client, '1h');
  expect((await schedule.describe()).spec.intervals?.[0]?.every).toBe(3_600_000);
});
