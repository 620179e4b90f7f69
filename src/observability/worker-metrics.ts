import type { Client } from '@temporalio/client';
import type { InjectedSinks } from '@temporalio/worker';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { CLUSTER_STATUSES, type ClusterStatus } from '../domain/cluster.js';
import type { MetricsSinks } from '../workflows/metrics.js';
import type { Logger } from './logger.js';

/** Clusters by status come from Temporal's visibility store: at most one round of counts per this long. */
const CLUSTER_COUNT_MAX_AGE_MS = 15_000;

/**
 * Flotilla's own metrics in a worker: what its workflows report through the
 * `flotillaMetrics` sink (operations, drift, reconcile passes) and, where a
 * client is given, clusters by status.
 */
export class WorkerMetrics {
  readonly registry = new Registry();

  private readonly operations = new Counter({
    name: 'flotilla_operations_total',
    help: 'Cluster operations finished, by provider, type (provision, addNodePool, updateNodePool, removeNodePool, delete) and outcome.',
    labelNames: ['provider', 'type', 'outcome'] as const,
    registers: [this.registry],
  });

  private readonly operationSeconds = new Histogram({
    name: 'flotilla_operation_duration_seconds',
    help: 'Time from an operation starting to run to its end, by provider, type and outcome.',
    labelNames: ['provider', 'type', 'outcome'] as const,
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600, 7200],
    registers: [this.registry],
  });

  private readonly driftFound = new Counter({
    name: 'flotilla_drift_found_total',
    help: 'Deployment targets a check found out of their desired state (values, chart version, or not installed), by provider.',
    labelNames: ['provider'] as const,
    registers: [this.registry],
  });

  private readonly driftRepaired = new Counter({
    name: 'flotilla_drift_repaired_total',
    help: 'Drifted deployment targets an automatic sync brought back, by provider.',
    labelNames: ['provider'] as const,
    registers: [this.registry],
  });

  private readonly reconcilePasses = new Counter({
    name: 'flotilla_reconcile_passes_total',
    help: 'Reconcile passes finished.',
    registers: [this.registry],
  });

  private readonly unreachable = new Counter({
    name: 'flotilla_reconcile_unreachable_clusters_total',
    help: 'Cluster probes of reconcile passes that found the API server unreachable.',
    registers: [this.registry],
  });

  constructor(options: { clusterCounts?: { client: Client; logger: Logger; maxAgeMs?: number } } = {}) {
    if (options.clusterCounts) this.countClusters(options.clusterCounts);
  }

  /** The sink implementation the worker injects; not called on replay, so each event counts once. */
  sinks(): InjectedSinks<MetricsSinks> {
    return {
      flotillaMetrics: {
        operationFinished: {
          fn: (_info, { provider, type, outcome, seconds }) => {
            this.operations.inc({ provider, type, outcome });
            this.operationSeconds.observe({ provider, type, outcome }, Math.max(0, seconds));
          },
        },
        driftFound: {
          fn: (_info, { provider, repaired }) => {
            this.driftFound.inc({ provider });
            if (repaired) this.driftRepaired.inc({ provider });
          },
        },
        reconcilePassed: {
          fn: (_info, { unreachable }) => {
            this.reconcilePasses.inc();
            this.unreachable.inc(unreachable);
          },
        },
      },
    };
  }

  /** `flotilla_clusters{status}`, counted on scrape by the FlotillaStatus search attribute and cached briefly. */
  private countClusters({ client, logger, maxAgeMs = CLUSTER_COUNT_MAX_AGE_MS }: { client: Client; logger: Logger; maxAgeMs?: number }): void {
    // Deleted clusters are closed workflows, kept only for the namespace's retention: not counted.
    const statuses = CLUSTER_STATUSES.filter((s) => s !== 'DELETED');
    let counted: { at: number; counts: Map<ClusterStatus, number> } | undefined;
    let inFlight: Promise<Map<ClusterStatus, number>> | undefined;
    const count = async () => {
      const counts = await Promise.all(
        statuses.map(async (status) => {
          const { count } = await client.workflow.count(`FlotillaKind = 'cluster' AND ExecutionStatus = 'Running' AND FlotillaStatus = '${status}'`);
          return [status, count] as const;
        }),
      );
      return new Map<ClusterStatus, number>(counts);
    };
    new Gauge({
      name: 'flotilla_clusters',
      help: 'Live clusters by status, from Temporal visibility (cached for up to 15 seconds).',
      labelNames: ['status'] as const,
      registers: [this.registry],
      async collect() {
        if (!counted || Date.now() - counted.at > maxAgeMs) {
          inFlight ??= count().finally(() => (inFlight = undefined));
          try {
            counted = { at: Date.now(), counts: await inFlight };
          } catch (err) {
            // A scrape while Temporal is away shows the last counts rather than failing every series.
            logger.warn({ err }, 'could not count clusters by status');
          }
        }
        if (counted) for (const status of statuses) this.set({ status }, counted.counts.get(status) ?? 0);
      },
    });
  }
}
