import { fileURLToPath } from 'node:url';

/**
 * Charts that ship with Flotilla (deploy/charts), installed by Flotilla itself, never named by a
 * tenant: the helm adapter takes them wherever the chart roots are, the API's chart checks never do.
 */
export const PROJECT_CHARTS = fileURLToPath(new URL('../../../deploy/charts', import.meta.url));

/** kubernetes/autoscaler's chart, copied (deploy/charts/cluster-autoscaler/PROVENANCE.md). */
export const CLUSTER_AUTOSCALER_CHART = `${PROJECT_CHARTS}/cluster-autoscaler`;
