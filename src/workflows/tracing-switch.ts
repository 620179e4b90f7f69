/**
 * Registered on the workflows' task queue only while tracing is on
 * (src/observability/tracing.ts), never called: the workflow sandbox sees
 * nothing of its worker's settings but the names of the activities registered
 * with it, and the tracing interceptors (src/workflows/tracing-interceptors.ts)
 * trace new runs only where it is. A module of its own so that the worker
 * imports the name without the interceptors' workflow-only code.
 */
export const TRACING_ON_ACTIVITY = 'flotillaTracingOn';
