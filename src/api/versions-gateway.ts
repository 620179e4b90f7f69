import { WorkflowFailedError, type Client } from '@temporalio/client';
import { TimeoutFailure } from '@temporalio/common';
import { failureOfType, rootMessage } from '../domain/failures.js';
import type { ListedVersion } from '../domain/kubernetes-versions.js';
import { FailureType } from '../domain/problems.js';
import { kubernetesVersionsRead, VERSIONS_TIMEOUT } from '../temporal/entity-starts.js';
import type { KubernetesVersionsInput } from '../workflows/kubernetes-versions.js';
import { HttpError, invalid } from './errors.js';
import { askTemporal } from './temporal-errors.js';

/** The API's dealings with Temporal for a provider's Kubernetes versions (docs/api.md, "Kubernetes versions"). */
export class VersionsGateway {
  constructor(private readonly client: Client) {}

  async list(input: KubernetesVersionsInput): Promise<ListedVersion[]> {
    const { workflow, options } = kubernetesVersionsRead(input);
    try {
      return await askTemporal('Kubernetes versions', () => this.client.workflow.execute(workflow, options));
    } catch (err) {
      throw versionsFailure(err) ?? err;
    }
  }
}

function versionsFailure(err: unknown): HttpError | undefined {
  // The cloud refused the region (unknown, or not the tenant's): the tenant's input, named.
  for (const type of [FailureType.invalid, FailureType.nonRetryableCloud]) {
    const failure = failureOfType(err, type);
    if (failure) return invalid([{ path: ['region'], message: failure.message }], failure.message);
  }
  if (err instanceof WorkflowFailedError && err.cause instanceof TimeoutFailure) {
    return new HttpError(503, 'unavailable', `the provider's versions were not read within ${VERSIONS_TIMEOUT} (its workers are busy or not running); try again`);
  }
  // A cloud that kept failing (throttling, 5xx) or a lost worker: the caller may ask again.
  if (err instanceof WorkflowFailedError) return new HttpError(503, 'unavailable', `the provider's versions could not be read: ${rootMessage(err)}; try again`);
  return undefined;
}
