// Workflow interceptors module (bundled with the workflows, see
// src/temporal/workflow-bundle.ts): OpenTelemetry spans for workflow runs,
// their activities, children, signals and updates, linked to the client span
// that started them through Temporal headers.
import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow/index.js';
import { patched, type WorkflowInterceptorsFactory } from '@temporalio/workflow';

/**
 * The OpenTelemetry interceptors add promise ticks around handlers and
 * commands, which reorders the commands of a run recorded without them
 * (an update's completion lands before an upsert it used to follow). So a run
 * decides once, when it starts, whether it is traced: runs started since this
 * patch record its marker and are; runs started before replay untouched,
 * every call passed straight on, until they continue as new.
 */
export const TRACING_PATCH = 'opentelemetry-tracing';

export const interceptors: WorkflowInterceptorsFactory = () => {
  let traced: { inbound: OpenTelemetryInboundInterceptor; outbound: OpenTelemetryOutboundInterceptor; internals: OpenTelemetryInternalsInterceptor } | undefined;
  return {
    inbound: [
      {
        execute: (input, next) => {
          if (patched(TRACING_PATCH)) {
            traced = { inbound: new OpenTelemetryInboundInterceptor(), outbound: new OpenTelemetryOutboundInterceptor(), internals: new OpenTelemetryInternalsInterceptor() };
          }
          return traced ? traced.inbound.execute(input, next) : next(input);
        },
        handleSignal: (input, next) => (traced ? traced.inbound.handleSignal(input, next) : next(input)),
        handleUpdate: (input, next) => (traced ? traced.inbound.handleUpdate(input, next) : next(input)),
        validateUpdate: (input, next) => (traced ? traced.inbound.validateUpdate(input, next) : next(input)),
        handleQuery: (input, next) => (traced ? traced.inbound.handleQuery(input, next) : next(input)),
      },
    ],
    outbound: [
      {
        scheduleActivity: (input, next) => (traced ? traced.outbound.scheduleActivity(input, next) : next(input)),
        scheduleLocalActivity: (input, next) => (traced ? traced.outbound.scheduleLocalActivity(input, next) : next(input)),
        startChildWorkflowExecution: (input, next) => (traced ? traced.outbound.startChildWorkflowExecution(input, next) : next(input)),
        signalWorkflow: (input, next) => (traced ? traced.outbound.signalWorkflow(input, next) : next(input)),
        continueAsNew: (input, next) => (traced ? traced.outbound.continueAsNew(input, next) : next(input)),
        getLogAttributes: (input, next) => (traced ? traced.outbound.getLogAttributes(input, next) : next(input)),
      },
    ],
    internals: [{ dispose: (input, next) => (traced ? traced.internals.dispose(input, next) : next(input)) }],
  };
};
