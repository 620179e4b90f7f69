import { isGrpcServiceError, type Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { z } from 'zod';
import { HttpError, invalid } from './errors.js';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

/** `?limit=&cursor=`, for every list; spread into a list's query schema. */
export const pageFields = {
  limit: z
    .string()
    .regex(/^[1-9][0-9]{0,5}$/, `a whole number from 1 to ${MAX_PAGE_SIZE}`)
    .refine((v) => Number(v) <= MAX_PAGE_SIZE, `a whole number from 1 to ${MAX_PAGE_SIZE}`)
    .optional(),
  cursor: z.string().max(4096).regex(/^[A-Za-z0-9_-]+$/, 'a nextCursor from an earlier page').optional(),
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

// A cursor names the list it belongs to (`scope`), so one from another list or filter is refused, not misread.
interface Position {
  scope: string;
  offset?: number;
  token?: string;
}

function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

const badCursor = () => invalid([{ path: ['cursor'], message: 'not a cursor of this list: pass the nextCursor of the previous page, with the same filters' }]);

function decodeCursor(cursor: string, scope: string): Position {
  let position: Partial<Position>;
  try {
    position = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badCursor();
  }
  if (position?.scope !== scope) throw badCursor();
  return position as Position;
}

/** A page of a list held in memory, in its order. */
export function pageOfList<T>(items: readonly T[], page: PageRequest, scope: string): Page<T> {
  let start = 0;
  if (page.cursor) {
    const { offset } = decodeCursor(page.cursor, scope);
    if (!Number.isSafeInteger(offset) || offset! < 0) throw badCursor();
    start = offset!;
  }
  const end = start + page.limit;
  return { items: items.slice(start, end), ...(end < items.length ? { nextCursor: encodeCursor({ scope, offset: end }) } : {}) };
}

export interface ListedExecution {
  workflowId: string;
  memo: Record<string, unknown>;
}

/**
 * A page of Temporal's visibility list for `query`, newest first as the
 * store keeps them; the cursor wraps Temporal's own page token.
 */
export async function visibilityPage(client: Client, query: string, page: PageRequest): Promise<Page<ListedExecution>> {
  const scope = `visibility:${query}`;
  const token = page.cursor ? decodeCursor(page.cursor, scope).token : undefined;
  if (page.cursor && typeof token !== 'string') throw badCursor();
  let response;
  try {
    response = await client.workflowService.listWorkflowExecutions({
      namespace: client.options.namespace,
      query,
      pageSize: page.limit,
      ...(token ? { nextPageToken: Buffer.from(token, 'base64') } : {}),
    });
  } catch (err) {
    // The page token is the only part of the request a caller controls.
    if (isGrpcServiceError(err) && err.code === 3 && token) throw badCursor();
    if (isGrpcServiceError(err) && (err.code === 14 || err.code === 4)) throw new HttpError(503, 'unavailable', 'Temporal is not reachable; try again');
    throw err;
  }
  const items = await Promise.all(
    response.executions.map(async (execution) => ({ workflowId: execution.execution?.workflowId ?? '', memo: await decodeMemo(client, execution.memo?.fields ?? {}) })),
  );
  const next = response.nextPageToken?.length ? Buffer.from(response.nextPageToken).toString('base64') : undefined;
  return { items, ...(next ? { nextCursor: encodeCursor({ scope, token: next }) } : {}) };
}

/** Memo fields through the client's codecs and payload converter, as `client.workflow.list` decodes them. */
async function decodeMemo(client: Client, fields: Record<string, Payload>): Promise<Record<string, unknown>> {
  const { payloadCodecs, payloadConverter } = client.options.loadedDataConverter;
  const keys = Object.keys(fields);
  let payloads = keys.map((k) => fields[k]!);
  for (const codec of [...payloadCodecs].reverse()) payloads = await codec.decode(payloads);
  return Object.fromEntries(keys.map((k, i) => [k, payloadConverter.fromPayload(payloads[i]!)]));
}
