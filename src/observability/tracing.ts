import { trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
  type OpenTelemetryWorkflowExporter,
} from '@temporalio/interceptors-opentelemetry';
import type { ActivityInterceptorsFactory, InjectedSink } from '@temporalio/worker';
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
  const resource = new Resource({ 'service.name': env.OTEL_SERVICE_NAME || serviceName });
  const spanProcessor = new BatchSpanProcessor(new OTLPTraceExporter({ url }));
  const provider = new BasicTracerProvider({ resource, spanProcessors: [spanProcessor] });
  // Registers the W3C trace-context propagator the interceptors put into Temporal headers.
  provider.register({ contextManager: new AsyncLocalStorageContextManager().enable() });
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

/**
 * The sink the bundled workflow interceptors export their spans through.
 * Always registered: with tracing off the spans are dropped here.
 */
export function tracingSinks(tracing: Tracing | undefined): { exporter: InjectedSink<OpenTelemetryWorkflowExporter> } {
  return { exporter: tracing ? makeWorkflowExporter(tracing.spanProcessor, tracing.resource) : { export: { fn: () => undefined } } };
}
