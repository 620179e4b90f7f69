import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';

type History = proto.temporal.api.history.v1.IHistory;
type Event = proto.temporal.api.history.v1.IHistoryEvent;

/** Event time in ms since the epoch (protobuf seconds may arrive as a Long). */
export function eventTime(event: Event): number {
  const t = event.eventTime!;
  const seconds = typeof t.seconds === 'number' ? t.seconds : Number(t.seconds?.toString() ?? 0);
  return seconds * 1000 + (t.nanos ?? 0) / 1e6;
}

export function fetchHistory(client: Client, workflowId: string): Promise<History> {
  return client.workflow.getHandle(workflowId).fetchHistory();
}

/** One activity of a history: when it was scheduled, picked up by a worker, and finished (last attempt). */
export interface ActivitySpan {
  type: string;
  scheduled: number;
  started?: number;
  closed?: number;
  attempt?: number;
}

export function activitySpans(history: History): ActivitySpan[] {
  const byId = new Map<string, ActivitySpan>();
  for (const e of history.events ?? []) {
    const id = String(e.eventId);
    if (e.activityTaskScheduledEventAttributes) byId.set(id, { type: e.activityTaskScheduledEventAttributes.activityType?.name ?? '?', scheduled: eventTime(e) });
    const started = e.activityTaskStartedEventAttributes;
    // A slice of a history (one phase's events) may hold an activity's start or close without its scheduling.
    const span = (scheduledEventId: unknown) => byId.get(String(scheduledEventId));
    if (started) Object.assign(span(started.scheduledEventId) ?? {}, { started: eventTime(e), attempt: started.attempt ?? 1 });
    const closed =
      e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes ?? e.activityTaskTimedOutEventAttributes ?? e.activityTaskCanceledEventAttributes;
    if (closed) Object.assign(span(closed.scheduledEventId) ?? {}, { closed: eventTime(e) });
  }
  return [...byId.values()];
}

/** The first event at or after `after` (ms) that matches. */
export function firstEventAfter(history: History, after: number, match: (e: Event) => boolean): Event | undefined {
  return history.events?.find((e) => eventTime(e) >= after && match(e));
}

/** Size of a history: events, encoded bytes, and the bytes of its payloads (inputs, results, memos, details). */
export function historySize(history: History): { events: number; bytes: number; payloadBytes: number } {
  return {
    events: history.events?.length ?? 0,
    bytes: proto.temporal.api.history.v1.History.encode(history).finish().length,
    payloadBytes: payloadBytes(history),
  };
}

function payloadBytes(value: unknown): number {
  if (!value || typeof value !== 'object' || value instanceof Uint8Array) return 0;
  const o = value as Record<string, unknown>;
  if (o.data instanceof Uint8Array && o.metadata && typeof o.metadata === 'object') return o.data.length;
  let total = 0;
  for (const v of Array.isArray(o) ? o : Object.values(o)) total += payloadBytes(v);
  return total;
}

/** Latencies of a history, in ms: workflow tasks waiting for and taking a worker, activities the same. */
export interface Latencies {
  workflowTaskQueue: number[];
  workflowTaskRun: number[];
  activityQueue: number[];
  activityRun: number[];
}

export function latencies(history: History): Latencies {
  const out: Latencies = { workflowTaskQueue: [], workflowTaskRun: [], activityQueue: [], activityRun: [] };
  const at = new Map<string, number>();
  for (const e of history.events ?? []) {
    at.set(String(e.eventId), eventTime(e));
    const started = e.workflowTaskStartedEventAttributes;
    if (started) out.workflowTaskQueue.push(eventTime(e) - at.get(String(started.scheduledEventId))!);
    const completed = e.workflowTaskCompletedEventAttributes;
    if (completed) out.workflowTaskRun.push(eventTime(e) - at.get(String(completed.startedEventId))!);
  }
  for (const span of activitySpans(history)) {
    if (span.started !== undefined) out.activityQueue.push(span.started - span.scheduled);
    if (span.started !== undefined && span.closed !== undefined) out.activityRun.push(span.closed - span.started);
  }
  return out;
}
