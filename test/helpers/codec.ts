import proto from '@temporalio/proto';
import type { JsonPayload } from '../../src/api/routes/codec.js';

/** A payload's metadata value as text. */
export function metadataText(payload: { metadata?: Record<string, Uint8Array | null> | null }, key: string): string | undefined {
  const value = payload.metadata?.[key];
  return value ? Buffer.from(value).toString() : undefined;
}

export interface FoundPayload {
  /** Where in the history, e.g. `events.3.workflowExecutionStartedEventAttributes.input.payloads.0`. */
  path: string;
  payload: JsonPayload;
}

/** Every payload in a history in its protobuf JSON form (base64 metadata and data): see historyJson. */
export function payloadsIn(json: unknown): FoundPayload[] {
  const found: FoundPayload[] = [];
  const walk = (node: unknown, path: string): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach((item, i) => walk(item, `${path}.${i}`));
    const record = node as Record<string, unknown>;
    if (isPayload(record)) return void found.push({ path, payload: record as unknown as JsonPayload });
    for (const [key, value] of Object.entries(record)) walk(value, path ? `${path}.${key}` : key);
  };
  walk(json, '');
  return found;
}

/** A history as protobuf JSON: bytes in base64, what a client without the codec sees. */
export function historyJson(history: proto.temporal.api.history.v1.IHistory): Record<string, unknown> {
  return proto.temporal.api.history.v1.History.fromObject(history).toJSON();
}

/** A payload's data in protobuf JSON form, as text. */
export function jsonDataText(payload: JsonPayload): string {
  return Buffer.from(payload.data ?? '', 'base64').toString();
}

/** A metadata value of a payload in protobuf JSON form, as text. */
export function jsonMetadataText(payload: JsonPayload, key: string): string | undefined {
  const value = payload.metadata?.[key];
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString();
}

const PAYLOAD_KEYS = new Set(['metadata', 'data', 'externalPayloads']);
function isPayload(record: Record<string, unknown>): boolean {
  const metadata = record.metadata;
  return (
    !!metadata &&
    typeof metadata === 'object' &&
    !Array.isArray(metadata) &&
    Object.values(metadata).every((v) => typeof v === 'string') &&
    Object.keys(record).every((k) => PAYLOAD_KEYS.has(k))
  );
}
