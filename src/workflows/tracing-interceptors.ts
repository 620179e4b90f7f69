// Workflow interceptors module (bundled with the workflows, see
// src/temporal/workflow-bundle.ts): OpenTelemetry spans for workflow runs,
// their activities, children, signals and updates, linked to the client span
// that started them through Temporal headers.
import type * as OpenTelemetryWorkflow from '@temporalio/interceptors-opentelemetry/lib/workflow/index.js';
import { patched, type WorkflowInterceptorsFactory } from '@temporalio/workflow';
import { SdkFlags } from '@temporalio/workflow/lib/flags.js';
import { getActivator } from '@temporalio/workflow/lib/global-attributes.js';
import { TRACING_ON_ACTIVITY } from './tracing-switch.js';

/**
 * The OpenTelemetry interceptors add promise ticks around handlers and
 * commands, which reorders the commands of a run recorded without them
 * (an update's completion lands before an upsert it used to follow). So a run
 * decides once, when it starts, whether it is traced: runs started traced
 * record this patch's marker and are traced for good; the others (started
 * with tracing off, or before this patch) replay untouched, every call passed
 * straight on, until they continue as new.
 */
export const TRACING_PATCH = 'opentelemetry-tracing';

/**
 * Whether this run is traced: with tracing off (no TRACING_ON_ACTIVITY) a new
 * run builds no tracer, spans or context storage; a run whose history took the
 * patch is traced on replay whatever the worker, so its commands come in the
 * order they were recorded in.
 */
function tracesThisRun(): boolean {
  const activator = getActivator();
  return (activator.registeredActivityNames.has(TRACING_ON_ACTIVITY) || activator.info.unsafe.isReplaying) && patched(TRACING_PATCH);
}

/**
 * Workaround of an SDK bug (TS SDK 1.24.0 with its sdk-core). The SDK flag
 * OpenTelemetryInterceptorsInstrumentsAllMethods (id 6, since 1.13.3) decides
 * whether these interceptors trace an update handler, which adds promise ticks
 * before the update completes. A live worker always has it on. On replay it is on
 * only from the workflow task whose completion recorded it, and that record can
 * be lost: when a validator that rejects an update is the first to ask for the
 * flag, core counts the flag as recorded with that task's completion, the server
 * discards that speculative task (it holds nothing but the rejection), and core
 * never writes the flag again. Replay then runs update handlers with fewer ticks
 * than the run did; where an update completed in the same task as the main loop
 * wrote (a cluster whose operation's child finished then) the commands come in
 * another order: "Nondeterminism error: Update machine does not handle this event:
 * UpsertWorkflowSearchAttributes" (test/workflows/update-child-race.test.ts).
 *
 * The SDK covers such losses of other flags with an alternative condition
 * (OpenTelemetryInterceporsAvoidsExtraYields counts as on for tasks of SDK 1.13.2
 * and later) but has none for this one, and the sandbox freezes the SDK's flag
 * definitions. So this does what that condition would: before a traced update
 * handler runs on replay, in a task completed by SDK 1.13.3 or later (where it was
 * on), the flag counts as known. For a history that recorded the flag nothing
 * changes; one that lost it replays as it ran. Related upstream issues:
 * temporalio/sdk-typescript#1835 (the flag), #2023 (the same interceptors' query
 * and validator spans, which replay does not see).
 */
function assumeLostFlagOnReplay(): void {
  const flag = SdkFlags.OpenTelemetryInterceptorsInstrumentsAllMethods;
  const activator = getActivator();
  if (activator.info.unsafe.isReplaying && !activator.hasFlag(flag) && atLeast(activator.sdkVersion, [1, 13, 3])) activator.addKnownFlags([flag.id]);
}

function atLeast(version: string | undefined, minimum: [number, number, number]): boolean {
  const parts = /^(\d+)\.(\d+)\.(\d+)/.exec(version ?? '')?.slice(1).map(Number);
  if (!parts) return false;
  for (let i = 0; i < 3; i++) if (parts[i] !== minimum[i]) return parts[i]! > minimum[i]!;
  return true;
}

/**
 * Loaded by traced runs only: each run evaluates its own copy of every module
 * it loads (the SDK's reusable V8 context keeps workflows' module state apart),
 * and the OpenTelemetry SDK is the largest of them.
 */
function openTelemetry(): typeof OpenTelemetryWorkflow {
  return require('@temporalio/interceptors-opentelemetry/lib/workflow/index.js');
}

export const interceptors: WorkflowInterceptorsFactory = () => {
  let traced:
    | {
        inbound: OpenTelemetryWorkflow.OpenTelemetryInboundInterceptor;
        outbound: OpenTelemetryWorkflow.OpenTelemetryOutboundInterceptor;
        internals: OpenTelemetryWorkflow.OpenTelemetryInternalsInterceptor;
      }
    | undefined;
  return {
    inbound: [
      {
        execute: (input, next) => {
          if (tracesThisRun()) {
            const otel = openTelemetry();
            traced = { inbound: new otel.OpenTelemetryInboundInterceptor(), outbound: new otel.OpenTelemetryOutboundInterceptor(), internals: new otel.OpenTelemetryInternalsInterceptor() };
          }
          return traced ? traced.inbound.execute(input, next) : next(input);
        },
        handleSignal: (input, next) => (traced ? traced.inbound.handleSignal(input, next) : next(input)),
        handleUpdate: (input, next) => {
          if (!traced) return next(input);
          assumeLostFlagOnReplay();
          return traced.inbound.handleUpdate(input, next);
        },
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
