import { status as GrpcStatus } from '@grpc/grpc-js';
import { isGrpcServiceError, type Client } from '@temporalio/client';
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { Payload } from '@temporalio/common';
import type { CodecKey } from '../temporal/codec.js';
import { z } from 'zod';
import { invalid } from './errors.js';
import { fromTemporal } from './temporal-errors.js';

export const DEFAULT_PAGE_SIZE = 50;
const DECODE_SLICE = 50;

/** `?limit=&cursor=`, for every list; spread into a list's query schema. */
export const pageFields = {
  // 1 to 500 as a pattern, which the document states exactly (a range check after it would not show there).
  limit: z.string().regex(/^([1-9]|[1-9][0-9]|[1-4][0-9]{2}|500)$/, 'a whole number from 1 to 500').optional(),
  cursor: z.string().max(4096).regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'a nextCursor from an earlier page').optional(),
};
export const PageQuery = z.strictObject(pageFields);

export interface PageRequest {
  limit: number;
  cursor?: string;
}

/** One page of a list, as every list answers: `nextCursor` only when there is more. */
export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

export function pageRequest(query: { limit?: string | undefined; cursor?: string | undefined }): PageRequest {
  return { limit: query.limit ? Number(query.limit) : DEFAULT_PAGE_SIZE, ...(query.cursor ? { cursor: query.cursor } : {}) };
}

// A cursor names the list it belongs to (`scope`), so one from another list or
// filter is refused, not misread. It is signed: only page tokens Temporal handed
// out go back to it (a made-up one costs Temporal retries and ends in an error).
interface Position {
  scope: string;
  offset?: number;
  token?: string;
}

/**
 * The keys that sign cursors, one per payload codec key: every API replica
 * holds the codec keys already (it decrypts memos with them), so a cursor from
 * one replica is good on all, and rotating the codec keys rotates these along.
 * HKDF keeps them apart from the encryption keys.
 */
export function deriveCursorKeys(codecKeys: readonly CodecKey[]): Buffer[] {
  return codecKeys.map(({ key }) => Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'flotilla-page-cursor', 32)));
}

const badCursor = () =>
  invalid([{ path: ['cursor'], message: 'not a cursor of this list: pass the nextCursor of the previous page, with the same filters, or start the list again' }]);

/**
 * Pages of lists, with cursors signed by the newest key (the last) and read
 * with any: one signed before a key rotation stays good until its key is dropped.
 */
export class Cursors {
  private readonly newest: Buffer;

  constructor(private readonly keys: readonly Buffer[]) {
    if (keys.length === 0) throw new Error('cursors need at least one key');
    this.newest = keys[keys.length - 1]!;
  }

  /** A page of a list held in memory, in its order. */
  pageOfList<T>(items: readonly T[], page: PageRequest, scope: string): Page<T> {
    const start = page.cursor ? (this.decode(page.cursor, scope).offset ?? 0) : 0;
    const end = start + page.limit;
    return { items: items.slice(start, end), ...(end < items.length ? { nextCursor: this.encode({ scope, offset: end }) } : {}) };
  }

  /**
   * The memos of a page of Temporal's visibility list for `query`, newest first
   * as the store keeps them; the cursor wraps Temporal's own page token.
   */
  async visibilityPage(client: Client, query: string, page: PageRequest): Promise<Page<Record<string, unknown>>> {
    const scope = `visibility:${query}`;
    const token = page.cursor ? this.decode(page.cursor, scope).token : undefined;
    let response;
    try {
      response = await client.workflowService.listWorkflowExecutions({
        namespace: client.options.namespace,
        query,
        pageSize: page.limit,
        ...(token ? { nextPageToken: Buffer.from(token, 'base64') } : {}),
      });
    } catch (err) {
      // A page token Temporal handed out but no longer takes: the caller starts over.
      if (isGrpcServiceError(err) && err.code === GrpcStatus.INVALID_ARGUMENT && token) throw badCursor();
      throw fromTemporal(err, 'the list') ?? err;
    }
    // The codec decrypts synchronously: a few dozen memos at a time, so the requests waiting meanwhile are served between slices.
    const items: Record<string, unknown>[] = [];
    for (let i = 0; i < response.executions.length; i += DECODE_SLICE) {
      if (i) await new Promise((resolve) => setImmediate(resolve));
      for (const execution of response.executions.slice(i, i + DECODE_SLICE)) items.push(await decodeMemo(client, execution.memo?.fields ?? {}));
    }
    const next = response.nextPageToken?.length ? Buffer.from(response.nextPageToken).toString('base64') : undefined;
    return { items, ...(next ? { nextCursor: this.encode({ scope, token: next }) } : {}) };
  }

  private encode(position: Position): string {
    const body = JSON.stringify(position);
    return `${Buffer.from(body).toString('base64url')}.${mac(this.newest, body).toString('base64url')}`;
  }

  private decode(cursor: string, scope: string): Position {
    const [encoded = '', signature = ''] = cursor.split('.');
    const body = Buffer.from(encoded, 'base64url').toString('utf8');
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== 16 || !this.keys.some((key) => timingSafeEqual(given, mac(key, body)))) throw badCursor();
    const position = JSON.parse(body) as Position;
    if (position.scope !== scope) throw badCursor();
    return position;
  }
}

const mac = (key: Buffer, body: string) => createHmac('sha256', key).update(body).digest().subarray(0, 16);

/** Memo fields through the client's codecs and payload converter, as `client.workflow.list` decodes them. */
async function decodeMemo(client: Client, fields: Record<string, Payload>): Promise<Record<string, unknown>> {
  const { payloadCodecs, payloadConverter } = client.options.loadedDataConverter;
  const keys = Object.keys(fields);
  let payloads = keys.map((k) => fields[k]!);
  for (const codec of [...payloadCodecs].reverse()) payloads = await codec.decode(payloads);
  return Object.fromEntries(keys.map((k, i) => [k, payloadConverter.fromPayload(payloads[i]!)]));
}
