import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { RECONCILE_SCHEDULE_ID, SCHEDULED_RECONCILE_WORKFLOW_ID, WORKFLOW_TASK_QUEUE } from '../domain/ids.js';
import { reconcileWorkflow } from '../workflows/reconcile.js';

/**
 * The Temporal Schedule that starts a reconcile pass every `every` (e.g. `5m`):
 * made at worker start, or brought to the configured interval when it exists.
 * Overlapping passes are skipped.
 */
export async function ensureReconcileSchedule(client: Client, every: string): Promise<void> {
  const spec = { intervals: [{ every }] };
  try {
    await client.schedule.create({
      scheduleId: RECONCILE_SCHEDULE_ID,
      spec,
      action: { type: 'startWorkflow', workflowType: reconcileWorkflow, args: [{}], taskQueue: WORKFLOW_TASK_QUEUE, workflowId: SCHEDULED_RECONCILE_WORKFLOW_ID },
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule.getHandle(RECONCILE_SCHEDULE_ID).update((current) => ({ ...current, spec }));
  }
}
