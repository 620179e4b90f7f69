import { Counter, Registry } from 'prom-client';
import { loadConfig } from '../../src/config.js';
import { startMetricsServer } from '../../src/observability/metrics-endpoint.js';
import { parseMetrics, valueOf } from '../helpers/metrics.js';

describe('worker and observability configuration', () => {
  it('defaults to the queues a worker served before, no metrics ports, a 30s grace time, and no log level (each program has its own)', () => {
    const config = loadConfig({});
    expect(config.worker).toEqual({ taskQueues: ['flotilla', 'helm', 'reconcile', 'provider-kwok'], shutdownGraceTime: '30s' });
    expect(config.metrics).toEqual({ host: '127.0.0.1' });
    expect(config.logLevel).toBeUndefined();
  });

  it('reads FLOTILLA_TASK_QUEUES, concurrency, cache, grace time, metrics and LOG_LEVEL', () => {
    const config = loadConfig({
      FLOTILLA_TASK_QUEUES: ' provider-eks, provider-gke ',
      FLOTILLA_MAX_CONCURRENT_ACTIVITIES: '50',
      FLOTILLA_MAX_CONCURRENT_WORKFLOW_TASKS: '20',
      FLOTILLA_MAX_CACHED_WORKFLOWS: '0',
      FLOTILLA_SHUTDOWN_GRACE_TIME: '5m',
      FLOTILLA_METRICS_HOST: '0.0.0.0',
      FLOTILLA_METRICS_PORT: '9464',
      FLOTILLA_WORKER_METRICS_PORT: '9465',
      FLOTILLA_METRICS_TOKEN: 'scrape-me',
      LOG_LEVEL: 'DEBUG',
    });
    expect(config.worker).toEqual({
      taskQueues: ['provider-eks', 'provider-gke'],
      maxConcurrentActivities: 50,
      maxConcurrentWorkflowTasks: 20,
      maxCachedWorkflows: 0,
      shutdownGraceTime: '5m',
    });
    expect(config.metrics).toEqual({ host: '0.0.0.0', port: 9464, sdkPort: 9465, token: 'scrape-me' });
    expect(config.logLevel).toBe('debug');
  });

  it('names the variable and the bad value', () => {
    expect(() => loadConfig({ FLOTILLA_TASK_QUEUES: 'flotilla,provider-aws' })).toThrow(/FLOTILLA_TASK_QUEUES: unknown task queue 'provider-aws' \(known: flotilla, helm, reconcile, provider-kwok/);
    expect(() => loadConfig({ FLOTILLA_TASK_QUEUES: ' , ' })).toThrow(/FLOTILLA_TASK_QUEUES names no task queue/);
    expect(() => loadConfig({ FLOTILLA_MAX_CONCURRENT_ACTIVITIES: '0' })).toThrow(/FLOTILLA_MAX_CONCURRENT_ACTIVITIES must be a whole number of at least 1, got '0'/);
    expect(() => loadConfig({ FLOTILLA_MAX_CONCURRENT_WORKFLOW_TASKS: '1' })).toThrow(/FLOTILLA_MAX_CONCURRENT_WORKFLOW_TASKS/);
    expect(() => loadConfig({ FLOTILLA_SHUTDOWN_GRACE_TIME: 'soon' })).toThrow(/FLOTILLA_SHUTDOWN_GRACE_TIME/);
    expect(() => loadConfig({ FLOTILLA_METRICS_PORT: '99999' })).toThrow(/FLOTILLA_METRICS_PORT/);
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent, got 'loud'/);
  });
});

describe('a metrics server', () => {
  it('serves GET /metrics only, behind a bearer token when it has one', async () => {
    const registry = new Registry();
    new Counter({ name: 'flotilla_test_total', help: 'a test counter', registers: [registry] }).inc(3);
    const server = await startMetricsServer({ registries: [registry], host: '127.0.0.1', port: 0, token: 'scrape-me' });
    try {
      const none = await fetch(server.url);
      expect([none.status, none.headers.get('www-authenticate')]).toEqual([401, 'Bearer']);
      expect((await fetch(server.url, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
      const ok = await fetch(server.url, { headers: { authorization: 'Bearer scrape-me' } });
      expect(ok.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(valueOf(parseMetrics(await ok.text()), 'flotilla_test_total')).toBe(3);
      expect((await fetch(server.url.replace('/metrics', '/other'))).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it('answers the pod probes without a token: /healthz always, /readyz while ready() says so', async () => {
    let ready = false;
    const server = await startMetricsServer({ registries: [new Registry()], host: '127.0.0.1', port: 0, token: 'scrape-me', ready: () => ready });
    const probe = async (path: string) => {
      const res = await fetch(server.url.replace('/metrics', path));
      return [res.status, ((await res.json()) as { status: string }).status];
    };
    try {
      expect(await probe('/healthz')).toEqual([200, 'ok']);
      expect(await probe('/readyz')).toEqual([503, 'not ready']);
      ready = true;
      expect(await probe('/readyz')).toEqual([200, 'ready']);
    } finally {
      await server.close();
    }
  });
});
