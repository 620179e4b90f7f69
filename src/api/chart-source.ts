import type { Egress } from '../adapters/egress/egress.js';
import { chartPathProblem, isLocalChart, REPOSITORY_CHART } from '../adapters/helm/chart-roots.js';
import { checkEndpoint } from './endpoint-check.js';
import { invalid } from './errors.js';
import type { HelmRepositoryGateway } from './helm-repository-gateway.js';

/**
 * Where a chart comes from: an `oci://` registry the endpoint policy allows
 * (unless `registries` is false: only what is registered or on the worker); a
 * path must lie under one of the chart roots (FLOTILLA_CHART_ROOTS);
 * `<repo>/<chart>` must name a registered repository.
 */
export async function chartSource(
  repositories: HelmRepositoryGateway,
  org: string,
  chart: string,
  chartRoots: readonly string[],
  egress: Egress,
  registries = true,
): Promise<{ chart: string; repo?: string }> {
  if (chart.startsWith('oci://')) {
    if (!registries) throw invalid([{ path: ['chart'], message: 'a registered repository\'s chart (<repo>/<chart>) or a local chart under the chart roots; not an oci:// reference' }]);
    if (!/^oci:\/\/[^/]+\/./.test(chart) || !URL.canParse(`https://${chart.slice(6)}`)) throw invalid([{ path: ['chart'], message: 'an OCI reference is oci://<registry>/<path>' }]);
    await checkEndpoint(egress, `https://${chart.slice(6)}`, ['chart']);
    return { chart };
  }
  if (isLocalChart(chart)) {
    const problem = await chartPathProblem(chart, chartRoots);
    if (problem) throw invalid([{ path: ['chart'], message: problem }]);
    return { chart };
  }
  const named = REPOSITORY_CHART.exec(chart)!;
  const repository = (await repositories.list(org)).find((r) => r.name === named[1]);
  if (!repository) throw invalid([{ path: ['chart'], message: `no Helm repository '${named[1]}' is registered (POST /helm-repositories)` }]);
  return { chart: named[2]!, repo: repository.url };
}
