import { proxySinks, type Sinks } from '@temporalio/workflow';

/**
 * What workflows report to the worker's metrics. Sink calls leave no trace in
 * history and are skipped on replay, so adding or removing one never breaks
 * a running workflow.
 */
export interface MetricsSinks extends Sinks {
  flotillaMetrics: {
    /** A cluster operation (provision, node pool change, delete) finished. */
    operationFinished(event: { provider: string; type: string; outcome: 'succeeded' | 'failed' | 'cancelled'; seconds: number }): void;
    /** A deployment check found a target out of its desired state; `repaired` when the sync that followed fixed it. */
    driftFound(event: { provider: string; repaired: boolean }): void;
    /** A reconcile pass ended. */
    reconcilePassed(event: { clusters: number; unreachable: number; deployments: number }): void;
  };
}

export function reportMetrics(): MetricsSinks['flotillaMetrics'] {
  return proxySinks<MetricsSinks>().flotillaMetrics;
}
