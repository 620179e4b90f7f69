import type { Logger as TemporalLogger, LogLevel, LogMetadata } from '@temporalio/common';
import { isSpanContextValid, trace } from '@opentelemetry/api';
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type FlotillaLogLevel = (typeof LOG_LEVELS)[number];

/**
 * Keys whose values never reach a log line, wherever they sit in the first
 * few levels of a logged object: credentials in headers, secret values,
 * kubeconfigs, tokens and codec keys.
 */
const SECRET_KEYS = [
  'authorization',
  'cookie',
  '"set-cookie"',
  'kubeconfig',
  'token',
  'apiTokens',
  'values',
  'secretAccessKey',
  'sessionToken',
  'clientSecret',
  'private_key',
  'serviceAccountKey',
  'password',
  'codecKey',
  'codecKeys',
  // Lets whoever holds it complete the activity: a capability, not an ID.
  'taskToken',
];

export const REDACT_PATHS = SECRET_KEYS.flatMap((key) => {
  const segment = key.startsWith('"') ? `[${key}]` : `.${key}`;
  return [key.startsWith('"') ? `[${key}]` : key, `*${segment}`, `*.*${segment}`, `*.*.*${segment}`];
});

/**
 * The trace and span of the active OpenTelemetry span, so a log line can be
 * found from its trace and back; nothing when tracing is off (no span is ever active).
 */
function traceFields(): { traceId?: string; spanId?: string } {
  const span = trace.getActiveSpan()?.spanContext();
  return span && isSpanContextValid(span) ? { traceId: span.traceId, spanId: span.spanId } : {};
}

/** JSON lines on stdout (or `destination`), level names as words, secrets censored, trace IDs when tracing is on. */
export function createLogger(options: { level: FlotillaLogLevel; destination?: DestinationStream }): Logger {
  return pino(
    {
      level: options.level,
      mixin: traceFields,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    },
    options.destination,
  );
}

const PINO_LEVEL: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/**
 * The Temporal SDK's logger interface on top of pino: the SDK's own messages,
 * and `log` from @temporalio/workflow and @temporalio/activity with the
 * workflowId, runId, workflowType, activityType and taskQueue the SDK adds.
 */
export function temporalLogger(logger: Logger): TemporalLogger {
  const log = (level: LogLevel, message: string, meta: LogMetadata = {}) => {
    // Symbol keys (the SDK's timestamp) are left out of the JSON by pino.
    const { error, ...fields } = meta as Record<string, unknown>;
    // One worker per task queue is the design: an activity-only worker not polling for workflows is expected.
    const pinoLevel = /not polling for/.test(message) ? 'debug' : PINO_LEVEL[level];
    logger[pinoLevel]({ ...fields, ...(error !== undefined ? { err: error } : {}) }, message);
  };
  return {
    log,
    trace: (message, meta) => log('TRACE', message, meta),
    debug: (message, meta) => log('DEBUG', message, meta),
    info: (message, meta) => log('INFO', message, meta),
    warn: (message, meta) => log('WARN', message, meta),
    error: (message, meta) => log('ERROR', message, meta),
  };
}
