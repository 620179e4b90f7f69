import { parser } from '@prometheus-io/lezer-promql';
import type { Client } from '@temporalio/client';
import { readFileSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Histogram, Summary, type Registry } from 'prom-client';
import { parse } from 'yaml';
import { ApiMetrics } from '../../src/observability/api-metrics.js';
import { createLogger } from '../../src/observability/logger.js';
import { processMetrics } from '../../src/observability/metrics-endpoint.js';
import { WorkerMetrics } from '../../src/observability/worker-metrics.js';

// deploy/monitoring: the alert rules and the Grafana dashboard. Every
// expression is parsed by Prometheus' own PromQL grammar (@prometheus-io/lezer-promql,
// the parser of Prometheus' UI; promtool is a build of all of Prometheus, too
// heavy for the toolchain) and may name only series that exist: Flotilla's,
// read from the registries the code builds, with the labels they carry, and
// the Temporal SDK's, named in the SDK's native core.
const read = (path: string) => readFileSync(fileURLToPath(new URL(`../../deploy/monitoring/${path}`, import.meta.url)), 'utf8');
const rules = parse(read('flotilla-alerts.yaml')) as { groups: { name: string; rules: Rule[] }[] };
const dashboard = JSON.parse(read('flotilla-dashboard.json')) as { panels: { type: string; title: string; targets?: { expr: string }[] }[] };

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels: { severity: string };
  annotations: { summary: string; description?: string };
}

/** Labels Prometheus adds to every scraped series, and `le` of histogram buckets. */
const SCRAPE_LABELS = ['job', 'instance'];

/** Every series name Flotilla's registries expose, with its labels. */
function flotillaSeries(): Map<string, string[]> {
  const registries: Registry[] = [
    new ApiMetrics().registry,
    new WorkerMetrics({ clusterCounts: { client: {} as Client, logger: createLogger({ level: 'silent' }) } }).registry,
    processMetrics(),
  ];
  const series = new Map<string, string[]>();
  for (const metric of registries.flatMap((r) => r.getMetricsAsArray())) {
    const { name, labelNames = [] } = metric as unknown as { name: string; labelNames?: string[] };
    if (metric instanceof Histogram) {
      series.set(`${name}_bucket`, [...labelNames, 'le']);
      for (const suffix of ['_sum', '_count']) series.set(`${name}${suffix}`, labelNames);
    } else if (metric instanceof Summary) {
      for (const suffix of ['', '_sum', '_count']) series.set(`${name}${suffix}`, [...labelNames, 'quantile']);
    } else series.set(name, labelNames);
  }
  return series;
}

/** The SDK's native core, where every metric it emits is named. */
const sdkCore = readFileSync(fileURLToPath(import.meta.resolve(`@temporalio/core-bridge/releases/${platform() === 'linux' ? `${arch() === 'arm64' ? 'aarch64' : 'x86_64'}-unknown-linux-gnu` : `${arch() === 'arm64' ? 'aarch64' : 'x86_64'}-apple-darwin`}/index.node`)), 'latin1');

/**
 * Why a `temporal_` series is not one the SDK emits as Flotilla configures it
 * (Prometheus naming: durations in seconds with the unit in the name, counters
 * ending in _total), or undefined when it is.
 */
function sdkProblem(series: string): string | undefined {
  const base = series.replace(/^temporal_/, '').replace(/_(bucket|sum|count)$/, '');
  const name = base.replace(/_(seconds|total)$/, '');
  if (!sdkCore.includes(name)) return `${series}: the SDK has no metric ${name}`;
  if (/latency$/.test(name) && !base.endsWith('_seconds')) return `${series}: a duration, named in seconds (${name}_seconds)`;
  if (/_(bucket|sum|count)$/.test(series) && !/latency$/.test(name)) return `${series}: not a histogram`;
  return undefined;
}

/** Grafana's variables, as a value PromQL takes, so the query parses as Prometheus receives it. */
const withGrafanaVariables = (expr: string) => expr.replaceAll('$__rate_interval', '5m').replaceAll('$__interval', '1m');

/** Parse errors, and each selector's metric name and the labels its matchers name. */
function analyse(expr: string): { errors: number[]; selectors: { metric: string; labels: string[] }[] } {
  const tree = parser.parse(expr);
  const errors: number[] = [];
  const selectors: { metric: string; labels: string[] }[] = [];
  const cursor = tree.cursor();
  do {
    if (cursor.type.isError) errors.push(cursor.from);
    if (cursor.name === 'VectorSelector') {
      const node = cursor.node;
      const identifier = node.getChild('Identifier');
      const labels = node.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher').map((m) => expr.slice(m.getChild('LabelName')!.from, m.getChild('LabelName')!.to)) ?? [];
      selectors.push({ metric: identifier ? expr.slice(identifier.from, identifier.to) : '', labels });
    }
  } while (cursor.next());
  return { errors, selectors };
}

const flotilla = flotillaSeries();

/** What is wrong with an expression: parse errors, unknown series, labels a series does not have. */
function problems(expr: string): string[] {
  const { errors, selectors } = analyse(withGrafanaVariables(expr));
  const found = errors.map((at) => `does not parse at ${at}: ${expr}`);
  for (const { metric, labels } of selectors) {
    if (!metric) found.push(`a selector without a metric name: ${expr}`);
    else if (metric.startsWith('temporal_')) {
      const problem = sdkProblem(metric);
      if (problem) found.push(problem);
    } else if (!flotilla.has(metric)) found.push(`${metric}: no such series in Flotilla's registries`);
    else {
      const unknown = labels.filter((l) => !flotilla.get(metric)!.includes(l) && !SCRAPE_LABELS.includes(l));
      if (unknown.length) found.push(`${metric} has no label ${unknown.join(', ')}`);
    }
  }
  return found;
}

const allRules = rules.groups.flatMap((g) => g.rules);
const dashboardExprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
const metricsOf = (exprs: string[]) => new Set(exprs.flatMap((e) => analyse(withGrafanaVariables(e)).selectors.map((s) => s.metric)));

describe('the checker', () => {
  it('catches what it must: a syntax error, an unknown series, a missing label, SDK names outside Prometheus naming', () => {
    expect(problems('sum(rate(flotilla_operations_total[5m])')).toEqual([expect.stringMatching(/does not parse/)]);
    expect(problems('rate(flotilla_operation_total[5m])')).toEqual(['flotilla_operation_total: no such series in Flotilla\'s registries']);
    expect(problems('flotilla_clusters{state="ERROR"}')).toEqual(['flotilla_clusters has no label state']);
    expect(problems('rate(temporal_workflow_task_schedule_to_start_latency_bucket[5m])')).toEqual([expect.stringMatching(/named in seconds/)]);
    expect(problems('rate(temporal_workflow_teleported_total[5m])')).toEqual([expect.stringMatching(/the SDK has no metric workflow_teleported/)]);
    expect(problems('histogram_quantile(0.9, sum by (le) (rate(flotilla_operation_duration_seconds_bucket{outcome="failed", job="w"}[$__rate_interval])))')).toEqual([]);
  });
});

describe('the alert rules', () => {
  it('parse as PromQL and name only series and labels that exist', () => {
    expect(allRules.flatMap((r) => problems(r.expr).map((p) => `${r.alert}: ${p}`))).toEqual([]);
  });

  it('each has a unique name, a severity, a summary, and a valid `for`', () => {
    expect(new Set(allRules.map((r) => r.alert)).size).toBe(allRules.length);
    for (const rule of allRules) {
      expect([rule.alert, ['critical', 'warning', 'info'].includes(rule.labels.severity)]).toEqual([rule.alert, true]);
      expect(rule.annotations.summary.length).toBeGreaterThan(0);
      if (rule.for !== undefined) expect(rule.for).toMatch(/^\d+[smhd]$/);
    }
  });

  it('cover failing operations, clusters in ERROR and WARNING, drift, late reconcile passes and workflow task latency', () => {
    const byAlert = Object.fromEntries(allRules.map((r) => [r.alert, r.expr]));
    expect(byAlert.FlotillaOperationsFailing).toContain('flotilla_operations_total{outcome="failed"}');
    expect(byAlert.FlotillaClustersInError).toContain('flotilla_clusters{status="ERROR"}');
    expect(byAlert.FlotillaClustersInWarning).toContain('flotilla_clusters{status="WARNING"}');
    expect(byAlert.FlotillaDriftFound).toContain('flotilla_drift_found_total');
    expect(byAlert.FlotillaReconcileLate).toContain('flotilla_reconcile_passes_total');
    expect(byAlert.FlotillaWorkflowTaskLatencyHigh).toContain('temporal_workflow_task_schedule_to_start_latency_seconds_bucket');
  });
});

describe('the Grafana dashboard', () => {
  it('queries parse as PromQL and name only series and labels that exist', () => {
    expect(dashboardExprs.length).toBeGreaterThan(10);
    expect(dashboardExprs.flatMap(problems)).toEqual([]);
  });

  it("shows every series of Flotilla's own, and the SDK's workflow task and activity latencies", () => {
    const shown = metricsOf(dashboardExprs);
    const own = [...flotilla.keys()].filter((name) => name.startsWith('flotilla_'));
    const families = new Set(own.map((name) => name.replace(/_(bucket|sum|count)$/, '')));
    const missing = [...families].filter((family) => ![...shown].some((s) => s === family || s.replace(/_(bucket|sum|count)$/, '') === family));
    expect(missing).toEqual([]);
    expect([...shown]).toEqual(expect.arrayContaining(['temporal_workflow_task_schedule_to_start_latency_seconds_bucket', 'temporal_activity_execution_latency_seconds_bucket']));
  });
});
