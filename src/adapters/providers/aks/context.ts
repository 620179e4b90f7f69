import { setTimeout as sleep } from 'node:timers/promises';
import type { AzureClients } from './clients.js';
import { isNotFound } from './errors.js';
import type { OperationTracker } from './operations.js';

/** What every AKS step works with: the cluster's clients, its operation tracker, and how often to poll. */
export interface AksContext {
  clients: AzureClients;
  ops: OperationTracker;
  signal: AbortSignal;
  /** Between polls of a long-running operation or of a resource's provisioning state. */
  pollIntervalMs: number;
}

/** The options every SDK call of a step gets: cancellation, and the poll interval for long-running ones. */
export function callOptions(ctx: AksContext): { abortSignal: AbortSignal; updateIntervalInMs: number } {
  return { abortSignal: ctx.signal, updateIntervalInMs: ctx.pollIntervalMs };
}

/** A GET whose 404 means "absent": describe-before-create, and "not found on delete counts as done". */
export async function unlessNotFound<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** A provisioning state that will change by itself: some operation is still running on the resource. */
export function isInProgress(state: string | undefined): boolean {
  return state !== undefined && !['Succeeded', 'Failed', 'Canceled'].includes(state);
}

/** Polls `read` until its provisioning state is no longer in progress; undefined once the resource is gone. */
export async function settled<T extends { provisioningState?: string }>(ctx: AksContext, read: () => Promise<T>): Promise<T | undefined> {
  for (;;) {
    const current = await unlessNotFound(read());
    if (!current || !isInProgress(current.provisioningState)) return current;
    await sleep(ctx.pollIntervalMs, undefined, { signal: ctx.signal });
  }
}
