import type { protos } from '@google-cloud/container';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CloudStep } from '../cloud-step.js';
import type { ClusterManagerClient } from './client.js';
import { gkeFailure, isBusy, isNotFound } from './errors.js';
import type { GkeNames } from './names.js';

type Cluster = protos.google.container.v1.ICluster;
type NodePool = protos.google.container.v1.INodePool;
type Operation = protos.google.container.v1.IOperation;

/**
 * What an activity records as its progress: the GKE operation it is waiting on. A retry of the
 * same activity (after a worker crash or a heartbeat timeout) resumes on it, instead of issuing
 * the call again.
 */
export interface GkeProgress {
  operation?: string | undefined;
}

export interface GkeTiming {
  /** Between polls of an operation or a resource's status. */
  pollIntervalMs: number;
  /** How long a call waits for another operation on the cluster to end before the attempt fails (retryable). */
  busyTimeoutMs: number;
}

/** One activity attempt's view of GKE: its client, the names of its cluster, and the operation it waits on. */
export class GkeSession {
  constructor(
    readonly client: ClusterManagerClient,
    readonly names: GkeNames,
    private readonly step: CloudStep<GkeProgress>,
    private readonly timing: GkeTiming,
  ) {}

  /**
   * Waits for the operation an earlier attempt started, whatever its outcome:
   * the caller describes the resources next and acts on what it finds.
   */
  async resume(): Promise<void> {
    const name = this.step.current()?.operation;
    if (!name) return;
    try {
      await this.poll(name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    this.track(undefined);
  }

  async cluster(): Promise<Cluster | undefined> {
    return this.found(async () => (await this.client.getCluster({ name: this.names.cluster }))[0]);
  }

  /** The pool, or undefined when it or its cluster is not there. */
  async pool(name: string): Promise<NodePool | undefined> {
    return this.found(async () => (await this.client.getNodePool({ name: this.names.pool(name) }))[0]);
  }

  /**
   * Issues a call that starts a GKE operation and waits for the operation to
   * end, heartbeating. While the cluster runs another operation, the call is
   * tried again here rather than failing the attempt. An operation that ends
   * in error fails with GKE's message, retryable or not by its code.
   */
  async operation(action: string, issue: () => Promise<[Operation, ...unknown[]]>): Promise<Operation> {
    const started = await this.whenNotBusy(issue);
    const name = this.names.operation(started.name ?? '');
    this.track(name);
    const done = await this.poll(name, started);
    this.track(undefined);
    if (done.error?.code || done.error?.message) {
      throw gkeFailure(done.error.code ?? undefined, done.error.message || done.statusMessage || 'operation failed', action);
    }
    return done;
  }

  /** Describes until `settled`, heartbeating: the first look is immediate. */
  until<T>(describe: () => Promise<T>, settled: (value: T) => boolean): Promise<T> {
    return this.step.until(describe, settled, this.timing.pollIntervalMs);
  }

  private async poll(name: string, started?: Operation): Promise<Operation> {
    let op = started;
    while (op?.status !== 'DONE') {
      await sleep(this.timing.pollIntervalMs, undefined, { signal: this.step.signal });
      [op] = await this.client.getOperation({ name });
    }
    return op;
  }

  private async whenNotBusy(issue: () => Promise<[Operation, ...unknown[]]>): Promise<Operation> {
    const deadline = Date.now() + this.timing.busyTimeoutMs;
    for (let wait = this.timing.pollIntervalMs; ; wait = Math.min(wait * 2, 60_000)) {
      try {
        return (await issue())[0];
      } catch (err) {
        if (!isBusy(err) || Date.now() + wait > deadline) throw err;
        await sleep(wait, undefined, { signal: this.step.signal });
      }
    }
  }

  private track(operation: string | undefined): void {
    this.step.record({ operation });
  }

  private async found<T>(describe: () => Promise<T>): Promise<T | undefined> {
    try {
      return await describe();
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }
}
