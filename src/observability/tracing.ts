import { context, createTraceState, propagation, trace, type Tracer } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import {
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
  type OpenTelemetryWorkflowExporter,
  type SerializableSpan,
} from '@temporalio/interceptors-opentelemetry';
import type { ActivityInterceptorsFactory, InjectedSink } from '@temporalio/worker';
import type { WorkflowInfo } from '@temporalio/workflow';
import { TRACING_ON_ACTIVITY } from '../workflows/tracing-switch.js';
import { AsyncLocalStorageContextManager } from './context-manager.js';

export interface Tracing {
  tracer: Tracer;
  spanProcessor: SpanProcessor;
  resource: Resource;
  /** Sends the spans still buffered and stops. */
  shutdown(): Promise<void>;
}

/**
 * OpenTelemetry tracing over OTLP/HTTP (JSON), on only when
 * OTEL_EXPORTER_OTLP_ENDPOINT (spans go to its /v1/traces) or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set; the exporter reads the other
 * OTEL_EXPORTER_OTLP_* settings (headers, timeout) itself.
 */
export function startTracing(serviceName: string, env: NodeJS.ProcessEnv = process.env): Tracing | undefined {
  const url = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || (env.OTEL_EXPORTER_OTLP_ENDPOINT ? `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/$/, '')}/v1/traces` : undefined);
  if (!url) return undefined;
  const resource = resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME || serviceName });
  const spanProcessor = new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url }) });
  const provider = new TracerProvider({ resource, spanProcessors: [spanProcessor] });
  // What SDK 1's provider.register() did: the interceptors put the W3C trace context into Temporal headers.
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
  return {
    tracer: trace.getTracer('flotilla'),
    spanProcessor,
    resource,
    shutdown: () => provider.shutdown(),
  };
}

/** Client interceptors: starts, signals, updates and queries become spans whose context travels to the workflow. */
export function tracingClientInterceptors(tracing: Tracing | undefined): WorkflowClientInterceptor[] {
  return tracing ? [new OpenTelemetryWorkflowClientInterceptor({ tracer: tracing.tracer })] : [];
}

/** Activity interceptors: each execution a span, child of the workflow span that scheduled it. */
export function tracingActivityInterceptors(tracing: Tracing | undefined): ActivityInterceptorsFactory[] {
  if (!tracing) return [];
  return [
    (ctx) => ({
      inbound: new OpenTelemetryActivityInboundInterceptor(ctx, { tracer: tracing.tracer }),
      outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
    }),
  ];
}

/** What tells the bundled workflow interceptors that new runs are traced (src/workflows/tracing-interceptors.ts). */
export function tracingWorkflowActivities(tracing: Tracing | undefined): Record<string, () => Promise<void>> {
  return tracing ? { [TRACING_ON_ACTIVITY]: async () => {} } : {};
}

/**
 * The sink the bundled workflow interceptors export their spans through.
 * Always registered: with tracing off, runs that started traced still export
 * their spans on replay, and they are dropped here (it is never called otherwise).
 */
export function tracingSinks(tracing: Tracing | undefined): { exporter: InjectedSink<OpenTelemetryWorkflowExporter> } {
  const fn: InjectedSink<OpenTelemetryWorkflowExporter>['export']['fn'] = tracing
    ? (info, spans) => spans.forEach((span) => tracing.spanProcessor.onEnd(workflowSpan(span, info, tracing.resource)))
    : () => undefined;
  return { exporter: { export: { fn } } };
}

/**
 * A workflow's span as OpenTelemetry SDK 3 reads it. Temporal's interceptors
 * are built on SDK 1 and hand spans over in its shape (the parent as
 * `parentSpanId`, the scope as `instrumentationLibrary`), so their
 * makeWorkflowExporter cannot feed an SDK 3 processor; this does what it does
 * (the workflow's info added to the attributes, the trace state parsed back).
 */
function workflowSpan(
  { spanContext: { traceState, ...ids }, parentSpanId, instrumentationLibrary, attributes, ...span }: SerializableSpan,
  info: WorkflowInfo,
  resource: Resource,
): ReadableSpan {
  const spanContext = { ...ids, ...(traceState ? { traceState: createTraceState(traceState) } : {}) };
  return {
    ...span,
    spanContext: () => spanContext,
    ...(parentSpanId ? { parentSpanContext: { traceId: ids.traceId, spanId: parentSpanId, traceFlags: ids.traceFlags } } : {}),
    attributes: { ...attributes, ...info },
    instrumentationScope: instrumentationLibrary,
    resource,
  };
}
