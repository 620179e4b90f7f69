import { ApplicationFailure, Context } from '@temporalio/activity';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClusterRef, NodePoolSpec } from '../../../domain/cluster.js';
import { FailureType } from '../../../domain/problems.js';
import type { ProviderActivities } from '../../provider.js';

/**
 * A simulated cloud, in the worker's memory: the `sim` provider. It exists for
 * chaos tests and scale benchmarks (fixed latency per call, injected faults),
 * never for real work. Its resources can be counted, so a test can check that
 * nothing was created twice or left behind.
 */
export interface SimOptions {
  /** Latency of every cloud call. */
  latencyMs?: number;
  /** Share of calls that fail with a retryable throttling error (0..1). */
  failureRate?: number;
}

export type SimFault =
  /** Fails the call with a non-retryable cloud error (quota, invalid instance type). */
  | { kind: 'reject'; message: string }
  /** Blocks the call until it is cancelled, as a stuck cloud operation would. */
  | { kind: 'hang' };

type Activity = keyof ProviderActivities;

export class SimCloud {
  readonly networks = new Set<string>();
  readonly controlPlanes = new Set<string>();
  readonly nodePools = new Map<string, NodePoolSpec>();
  readonly calls = new Map<Activity, number>();
  private readonly faults = new Map<Activity, SimFault>();

  constructor(private readonly options: SimOptions = {}) {}

  /** The next calls of `activity` meet `fault` until it is cleared. */
  inject(activity: Activity, fault: SimFault): void {
    this.faults.set(activity, fault);
  }

  clear(activity?: Activity): void {
    if (activity) this.faults.delete(activity);
    else this.faults.clear();
  }

  /** Everything that exists for a cluster, by kind. */
  resources(ref: Pick<ClusterRef, 'org' | 'name'>): { networks: number; controlPlanes: number; nodePools: number } {
    const key = keyOf(ref);
    return {
      networks: this.networks.has(key) ? 1 : 0,
      controlPlanes: this.controlPlanes.has(key) ? 1 : 0,
      nodePools: [...this.nodePools.keys()].filter((k) => k.startsWith(`${key}/`)).length,
    };
  }

  activities(): ProviderActivities {
    return {
      ensureNetwork: (ref) => this.call('ensureNetwork', () => void this.networks.add(keyOf(ref))),
      createControlPlane: (ref) =>
        this.call('createControlPlane', () => {
          if (!this.networks.has(keyOf(ref))) notFound(`network of ${ref.name}`);
          this.controlPlanes.add(keyOf(ref));
        }),
      awaitControlPlane: (ref) =>
        this.call('awaitControlPlane', () => {
          if (!this.controlPlanes.has(keyOf(ref))) notFound(`control plane of ${ref.name}`);
        }),
      createNodePool: (ref, pool) => this.call('createNodePool', () => this.putPool(ref, pool)),
      updateNodePool: (ref, pool) =>
        this.call('updateNodePool', () => {
          if (!this.nodePools.has(`${keyOf(ref)}/${pool.name}`)) notFound(`node pool ${pool.name}`);
          return this.putPool(ref, pool);
        }),
      deleteNodePool: (ref, poolName) => this.call('deleteNodePool', () => void this.nodePools.delete(`${keyOf(ref)}/${poolName}`)),
      deleteControlPlane: (ref) =>
        this.call('deleteControlPlane', () => {
          const key = keyOf(ref);
          if ([...this.nodePools.keys()].some((k) => k.startsWith(`${key}/`))) {
            throw ApplicationFailure.retryable(`cluster ${ref.name} still has node pools`, 'ResourceInUse');
          }
          this.controlPlanes.delete(key);
        }),
      deleteNetwork: (ref) =>
        this.call('deleteNetwork', () => {
          if (this.controlPlanes.has(keyOf(ref))) throw ApplicationFailure.retryable(`network of ${ref.name} is in use`, 'DependencyViolation');
          this.networks.delete(keyOf(ref));
        }),
    };
  }

  private putPool(ref: ClusterRef, pool: NodePoolSpec): number {
    if (!this.controlPlanes.has(keyOf(ref))) notFound(`control plane of ${ref.name}`);
    this.nodePools.set(`${keyOf(ref)}/${pool.name}`, pool);
    return pool.count;
  }

  private async call<T>(activity: Activity, effect: () => T): Promise<T> {
    this.calls.set(activity, (this.calls.get(activity) ?? 0) + 1);
    const { cancellationSignal: signal } = Context.current();
    const fault = this.faults.get(activity);
    if (fault?.kind === 'hang') {
      const beat = setInterval(() => Context.current().heartbeat(), 1_000);
      try {
        await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
      } finally {
        clearInterval(beat);
      }
    }
    if (this.options.latencyMs) await sleep(this.options.latencyMs, undefined, { signal });
    if (fault?.kind === 'reject') throw ApplicationFailure.nonRetryable(fault.message, FailureType.nonRetryableCloud);
    if (Math.random() < (this.options.failureRate ?? 0)) {
      throw ApplicationFailure.retryable('Rate exceeded (simulated throttling)', 'ThrottlingException');
    }
    return effect();
  }
}

function keyOf(ref: Pick<ClusterRef, 'org' | 'name'>): string {
  return `${ref.org}/${ref.name}`;
}

function notFound(what: string): never {
  throw ApplicationFailure.retryable(`${what} not found`, 'NotFound');
}
