import { ApplicationFailure } from '@temporalio/common';
import { parseAllDocuments } from 'yaml';
import { FailureType, type Problem } from '../../domain/problems.js';
import { chartWorkload, type ChartWorkload } from '../../domain/recommend/workload.js';
import { EndpointUnreachable } from '../egress/egress.js';
import type { Helm, InstallRequest } from './helm.js';

/**
 * What a chart's pods ask for with these values: rendered by `helm template`
 * (no cluster, no network), parsed, summed. Only the sums leave: the rendered
 * manifests never do. A chart that does not render, or renders what cannot be
 * read, is the tenant's to fix: a typed, non-retryable failure naming `chart`;
 * so, once retried, is a repository that does not answer.
 */
export async function renderedWorkload(helm: Helm, release: InstallRequest, signal?: AbortSignal): Promise<ChartWorkload> {
  let manifest: string;
  try {
    manifest = await helm.template(release, signal);
  } catch (err) {
    if (err instanceof ApplicationFailure || signal?.aborted) throw err;
    // The tenant's repository not answering may pass: retried, then the tenant's to look into.
    if (err instanceof EndpointUnreachable) throw refused(FailureType.chartUnavailable, "the chart's repository did not answer", [err.message], true);
    throw refused(FailureType.chartNotRendered, 'the chart does not render with these values', [(err as Error).message]);
  }
  const documents = parseAllDocuments(manifest);
  const broken = documents.flatMap((doc) => doc.errors.map((e) => e.message));
  if (broken.length > 0) throw refused(FailureType.chartNotRendered, 'the chart renders YAML that does not parse', broken.slice(0, 1));
  const workload = chartWorkload(documents.map((doc) => doc.toJS({ maxAliasCount: 100 }) as unknown));
  if (workload.problems.length > 0) throw refused(FailureType.invalid, 'the chart renders requests that cannot be read', workload.problems);
  return workload;
}

/**
 * What helm or the manifests said goes into the failure's details, which the payload codec
 * encrypts; its message, which histories hold in clear, says only what kind of failure it is.
 */
function refused(type: FailureType, message: string, problems: string[], retryable = false): ApplicationFailure {
  const details: Problem[] = problems.slice(0, 20).map((p) => ({ path: ['chart'], message: `${message}: ${p.slice(0, 500)}` }));
  return ApplicationFailure.create({ type, message, nonRetryable: !retryable, details: [details] });
}
