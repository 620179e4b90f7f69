import type { WorkflowClientInterceptor } from '@temporalio/client';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { processMetrics } from './metrics-endpoint.js';

export interface ClusterHourlyCost {
  org: string;
  cluster: string;
  provider: string;
  region: string;
  hourly: number;
}

/**
 * The API's metrics: requests by route pattern (never the raw path, so the
 * series stay few) and status, and what the API asked of Temporal.
 */
export class ApiMetrics {
  readonly registry = new Registry();
  /** Node process metrics; the embedded default serves them once, with the API's. */
  readonly process = processMetrics();

  private readonly requests = new Counter({
    name: 'flotilla_http_requests_total',
    help: 'HTTP requests answered by the API, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  private readonly latency = new Histogram({
    name: 'flotilla_http_request_duration_seconds',
    help: 'Time from request to response, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  private readonly started = new Counter({
    name: 'flotilla_workflows_started_total',
    help: 'Workflow executions the API started, by workflow type (a repeated create of a live entity is not counted).',
    labelNames: ['workflow_type'] as const,
    registers: [this.registry],
  });

  private readonly updates = new Counter({
    name: 'flotilla_workflow_updates_total',
    help: 'Updates the API sent to workflows, by update name and result (ok: accepted; failed: rejected by its validator or failed).',
    labelNames: ['update', 'result'] as const,
    registers: [this.registry],
  });

  private costs?: () => Promise<ClusterHourlyCost[]>;

  // Read at each scrape, so a deleted cluster's series goes with it.
  private readonly clusterCost = new Gauge({
    name: 'flotilla_cluster_cost_dollars_per_hour',
    help: "Each live cluster's cost now at list prices, USD per hour (unpriced pools count nothing; docs/economics.md).",
    labelNames: ['org', 'cluster', 'provider', 'region'] as const,
    registers: [this.registry],
    collect: async () => {
      // Temporal out of reach: no series, rather than a failed scrape of every other metric.
      const costs = (await this.costs?.().catch(() => undefined)) ?? [];
      this.clusterCost.reset();
      for (const { hourly, ...labels } of costs) this.clusterCost.set(labels, hourly);
    },
  });

  /** Where the cost gauge reads every live cluster's cost from. */
  readCostsFrom(costs: () => Promise<ClusterHourlyCost[]>): void {
    this.costs = costs;
  }

  observeRequest(method: string, route: string, status: number, seconds: number): void {
    const labels = { method, route, status: String(status) };
    this.requests.inc(labels);
    this.latency.observe(labels, seconds);
  }

  /** Counts starts and updates where they reach Temporal; goes on the API's client. */
  clientInterceptor(): WorkflowClientInterceptor {
    const countUpdate = (update: string, failed: boolean) => this.updates.inc({ update, result: failed ? 'failed' : 'ok' });
    const counted = async <T>(update: string, call: () => Promise<T>, failed: (output: T) => boolean): Promise<T> => {
      try {
        const output = await call();
        countUpdate(update, failed(output));
        return output;
      } catch (err) {
        countUpdate(update, true);
        throw err;
      }
    };
    return {
      startWithDetails: async (input, next) => {
        const output = await next(input);
        this.started.inc({ workflow_type: input.workflowType });
        return output;
      },
      startUpdate: (input, next) => counted(input.updateName, () => next(input), (output) => Boolean(output.outcome?.failure)),
      startUpdateWithStart: async (input, next) => {
        const output = await counted(input.updateName, () => next(input), (output) => Boolean(output.updateOutcome?.failure));
        // Under FAIL a live workflow of that ID fails the call: one that returns has started its workflow.
        if (input.workflowStartOptions.workflowIdConflictPolicy === 'FAIL') this.started.inc({ workflow_type: input.workflowType });
        return output;
      },
    };
  }
}
