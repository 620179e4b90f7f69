import { Runtime } from '@temporalio/worker';
import type { MetricsConfig } from '../config.js';
import { temporalLogger, type Logger } from './logger.js';

/**
 * The Temporal SDK's process-wide runtime: its logs (and Core's, forwarded)
 * as pino JSON lines, and its worker metrics for Prometheus when a port is
 * given. Signals are left to the process, which drains its workers itself.
 * Call once, before the first worker connection.
 */
export function installTemporalRuntime(logger: Logger, metrics: Pick<MetricsConfig, 'host' | 'sdkPort'>): void {
  const host = metrics.host.includes(':') ? `[${metrics.host}]` : metrics.host;
  Runtime.install({
    logger: temporalLogger(logger),
    shutdownSignals: [],
    telemetryOptions: {
      logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} },
      // Prometheus naming, like Flotilla's own series: durations in seconds with the unit in the name, counters ending in _total.
      ...(metrics.sdkPort !== undefined
        ? { metrics: { prometheus: { bindAddress: `${host}:${metrics.sdkPort}`, countersTotalSuffix: true, unitSuffix: true, useSecondsForDurations: true } } }
        : {}),
    },
  });
}
