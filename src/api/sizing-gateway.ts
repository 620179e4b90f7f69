import { WorkflowFailedError, type Client } from '@temporalio/client';
import { TimeoutFailure } from '@temporalio/common';
import { failureOfType, rootMessage } from '../domain/failures.js';
import { FailureType, type Problem } from '../domain/problems.js';
import type { ChartWorkload } from '../domain/recommend/workload.js';
import { chartSizing, SIZING_TIMEOUT } from '../temporal/entity-starts.js';
import type { SizingWorkflowInput } from '../workflows/sizing.js';
import { HttpError, invalid } from './errors.js';
import { askTemporal } from './temporal-errors.js';

/** Failures that are the tenant's chart or values: a 400 naming `chart`. */
const TENANT_FAILURES = [FailureType.invalid, FailureType.chartNotRendered, FailureType.chartUnavailable, FailureType.chartOutsideRoots];

/** The API's dealings with Temporal for sizing a chart (docs/economics.md, "Sizing for a chart"). */
export class SizingGateway {
  constructor(private readonly client: Client) {}

  /** What the chart's pods ask for with these values, rendered on the helm task queue. */
  async workload(org: string, release: SizingWorkflowInput['release']): Promise<ChartWorkload> {
    const { workflow, options } = chartSizing({ org, release });
    try {
      return await askTemporal('chart sizing', () => this.client.workflow.execute(workflow, options));
    } catch (err) {
      throw sizingFailure(err) ?? err;
    }
  }
}

function sizingFailure(err: unknown): HttpError | undefined {
  for (const type of TENANT_FAILURES) {
    const failure = failureOfType(err, type);
    if (failure) return invalid((failure.details?.[0] as Problem[] | undefined) ?? [{ path: ['chart'], message: failure.message }], failure.message);
  }
  if (err instanceof WorkflowFailedError && err.cause instanceof TimeoutFailure) {
    return new HttpError(503, 'unavailable', `the chart was not rendered within ${SIZING_TIMEOUT} (the helm workers are busy or not running); try again`);
  }
  // A worker lost on every attempt, or a fault of ours: Temporal has the history; the caller may ask again.
  if (err instanceof WorkflowFailedError) return new HttpError(503, 'unavailable', `the chart could not be sized: ${rootMessage(err)}; try again`);
  return undefined;
}
