import { WorkflowExecutionAlreadyStartedError, type Client, type UpdateDefinition, type Workflow } from '@temporalio/client';
import { withStart, type EntityStart } from '../temporal/entity-starts.js';
import { HttpError } from './errors.js';
import { fromTemporal } from './temporal-errors.js';

/**
 * Starts the entity with its create request (update-with-start) and answers what the entity says,
 * never a prediction. When an entity of that ID is live, the start fails (conflict policy `FAIL`)
 * and the request goes to that entity alone: it answers again the request that created it and
 * refuses any other, a 409 that carries `existing()` (e.g. `{ cluster }`).
 */
export async function createEntity<W extends Workflow, Created>(
  client: Client,
  update: UpdateDefinition<Created, [{ requestId: string }]>,
  entity: EntityStart<W>,
  requestId: string,
  what: string,
  existing: () => Promise<Record<string, unknown>>,
): Promise<Created> {
  const request = { args: [{ requestId }] as [{ requestId: string }] };
  try {
    return await client.workflow.executeUpdateWithStart(update, { ...request, startWorkflowOperation: withStart(entity) });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw fromTemporal(err, what) ?? err;
  }
  return client.workflow
    .getHandle(entity.options.workflowId)
    .executeUpdate(update, request)
    .catch(async (refused: unknown) => {
      const mapped = fromTemporal(refused, what);
      throw mapped?.status === 409 ? new HttpError(409, 'conflict', mapped.message, [], await existing()) : (mapped ?? refused);
    });
}
