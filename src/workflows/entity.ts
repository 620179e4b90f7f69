import { allHandlersFinished, condition } from '@temporalio/workflow';
import { isFinished, type OperationState } from '../domain/operations.js';

/** The time an entity records: the workflow's clock, which a replay reads the same. */
export function now(): string {
  return new Date().toISOString();
}

/** What every entity's operation has, whatever it does (docs/architecture.md, decision 2). */
export interface LedgerEntry {
  id: string;
  state: OperationState;
  requestId: string;
  error?: string;
  finishedAt?: string;
}

/** The part of an entity's state the ledger keeps: carried across continue-as-new with the rest. */
export interface LedgerState<Op extends LedgerEntry> {
  /** Queued, running and the most recent finished operations, oldest first. */
  operations: Op[];
  nextSeq: number;
  /** Request ID → operation ID of recent requests, so a retried request is not applied twice. */
  requests: Record<string, string>;
}

/**
 * An entity's operations, from the request that queued them to their outcome: one a request ID,
 * run one at a time in arrival order. It works on the entity's own state object, in place, so
 * queries and continue-as-new see what it records.
 */
export class OperationLedger<Op extends LedgerEntry> {
  constructor(
    private readonly state: LedgerState<Op>,
    private readonly keep: { finished: number; requests: number },
  ) {}

  /** The operation a request ID made, if it is still remembered: a retried request gets it again. */
  known(requestId: string): Op | undefined {
    const id = this.state.requests[requestId];
    return id ? this.state.operations.find((op) => op.id === id) : undefined;
  }

  /** Queues the operation `make` builds from the next sequence number, under `requestId`. */
  enqueue(requestId: string, make: (seq: number) => Op): Op {
    const op = make(this.state.nextSeq++);
    this.state.operations.push(op);
    this.state.requests[requestId] = op.id;
    this.trim();
    return op;
  }

  /** Makes a later request with its own ID answer with an operation already queued (a second delete joins the first). */
  alias(requestId: string, op: Op): void {
    this.state.requests[requestId] = op.id;
  }

  next(): Op | undefined {
    return this.state.operations.find((op) => op.state === 'QUEUED');
  }

  find<Found extends Op>(which: (op: Op) => op is Found): Found | undefined;
  find(which: (op: Op) => boolean): Op | undefined;
  find(which: (op: Op) => boolean): Op | undefined {
    return this.state.operations.find(which);
  }

  cancelQueued(which: (op: Op) => boolean, why: string, at: string): void {
    for (const op of this.state.operations) {
      if (op.state === 'QUEUED' && which(op)) {
        op.state = 'CANCELLED';
        op.error = why;
        op.finishedAt = at;
      }
    }
  }

  /** Keeps the history small: all unfinished operations, the latest finished ones, recent request IDs. */
  trim(): void {
    const finished = this.state.operations.filter(isFinished);
    const drop = new Set(finished.slice(0, Math.max(0, finished.length - this.keep.finished)));
    if (drop.size) this.state.operations = this.state.operations.filter((op) => !drop.has(op));
    const ids = Object.keys(this.state.requests);
    for (const id of ids.slice(0, Math.max(0, ids.length - this.keep.requests))) delete this.state.requests[id];
  }
}

/** What the main loop asks of an entity. */
export interface EntityRun<Op extends LedgerEntry, Result> {
  ledger: OperationLedger<Op>;
  /** Whether to wait for update and signal handlers before acting on what woke the loop (see the cluster entity). */
  handlersFirst: boolean;
  shouldContinueAsNew(): boolean;
  /** Calls continueAsNew with everything the entity knows. */
  continueAsNew(): Promise<never>;
  execute(op: Op): Promise<void>;
  /** After an operation: the entity's result when it has ended (deleted), else undefined. */
  ended(): Result | undefined;
}

/**
 * The entities' main loop: runs queued operations one at a time, continues as new when the history
 * grows long, and ends when an operation ended the entity; it never ends or continues while an
 * update or signal handler is still running.
 */
export async function runEntity<Op extends LedgerEntry, Result>(entity: EntityRun<Op, Result>): Promise<Result> {
  for (;;) {
    await condition(() => entity.ledger.next() !== undefined || entity.shouldContinueAsNew());
    // An update that queued an operation may still be completing: let it finish first.
    // (No await at all without it: an extra tick would reorder the commands of runs recorded so.)
    if (entity.handlersFirst) await condition(allHandlersFinished);
    if (entity.shouldContinueAsNew()) {
      await condition(allHandlersFinished);
      return entity.continueAsNew();
    }
    await entity.execute(entity.ledger.next()!);
    const result = entity.ended();
    if (result !== undefined) {
      await condition(allHandlersFinished);
      return result;
    }
  }
}
