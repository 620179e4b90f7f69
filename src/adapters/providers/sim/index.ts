import { ApplicationFailure } from '@temporalio/activity';
import { setTimeout as sleep } from 'node:timers/promises';
import { PROVIDERS, type ClusterRef, type NodePoolSpec } from '../../../domain/cluster.js';
import type { OfferedVersion } from '../../../domain/kubernetes-versions.js';
import { FailureType } from '../../../domain/problems.js';
import { withHeartbeat } from '../../heartbeat.js';
import type { ProviderActivities } from '../provider.js';
import { requestToken } from '../request-token.js';

/**
 * A simulated cloud: the `sim` provider. It exists for chaos tests and scale
 * benchmarks (fixed latency per call, injected faults), never for real work.
 * It lives in the worker's memory, or in another process behind HTTP
 * (./remote.ts) so that it outlives a killed worker. Its resources can be
 * counted, and its ledger of creates shows any made twice, so a test can check
 * that nothing was created twice or left behind.
 */
export interface SimOptions {
  /** How long every call takes once it has taken effect, as a cloud operation runs on after it is accepted. */
  latencyMs?: number;
  /** Share of calls refused with a retryable error, throttling or a 5xx (0..1). */
  failureRate?: number;
}

export type SimFault =
  /** Fails the call with a non-retryable cloud error (quota, invalid instance type); with `pool`, only that node pool's calls. */
  | { kind: 'reject'; message: string; pool?: string }
  /** Blocks the call until it is cancelled, as a stuck cloud operation would. */
  | { kind: 'hang' };

/** The calls that act on the sim cloud's resources (its version list is not one). */
export type SimActivity = Exclude<keyof ProviderActivities, 'kubernetesVersions'>;

/** One call to the cloud: an activity's name and arguments, and the client's idempotency token (creates use it). */
export type SimCall = { [A in SimActivity]: { activity: A; args: Parameters<ProviderActivities[A]>; token?: string } }[SimActivity];

/** Where a call stands when the observer sees it: it reached the cloud, or it took effect and its answer is not sent yet. */
export type SimPhase = 'received' | 'applied';

export interface SimResource {
  id: string;
  kind: 'network' | 'controlPlane' | 'nodePool';
  /** `<org>/<name>` of the cluster it belongs to. */
  cluster: string;
  name: string;
  pool?: NodePoolSpec;
  /** The Kubernetes version it runs, once upgraded (before: the cluster's at its create). */
  version?: string;
  /** The token of the create that made it. */
  token?: string;
}

/**
 * One create the cloud received. `made`: a new resource. `replayed`: its
 * resource exists and the create carries the token that made it (a retry whose
 * answer was lost), so it is answered with that one. `duplicate`: its resource
 * exists and the create carries another token or none, so a second one is
 * made, as a real cloud does (a second VPC; for a unique name, EKS and GKE
 * refuse it instead): what Flotilla must never cause.
 */
export interface SimCreate {
  kind: SimResource['kind'];
  cluster: string;
  name: string;
  token?: string;
  outcome: 'made' | 'replayed' | 'duplicate';
}

/** What the cloud went through, for the figures chaos tests report. */
export interface SimStats {
  /** Calls refused with throttling or a 5xx (failureRate). */
  transientFaults: number;
  /** Calls refused by an injected non-retryable fault. */
  rejected: number;
}

type Key = Pick<ClusterRef, 'org' | 'name'>;

export class SimCloud {
  readonly calls = new Map<SimActivity, number>();
  readonly stats: SimStats = { transientFaults: 0, rejected: 0 };
  /**
   * Sees every call as it arrives and once it has taken effect: a test hook
   * that may crash the caller between the two. A call whose observer throws is
   * dropped, as if the connection had been lost.
   */
  observer?: (call: SimCall, phase: SimPhase) => void | Promise<void>;
  private readonly store: SimResource[] = [];
  private readonly ledger: SimCreate[] = [];
  private readonly faults = new Map<SimActivity, SimFault>();
  private nextId = 1;

  constructor(private readonly options: SimOptions = {}) {}

  /** The next calls of `activity` meet `fault` until it is cleared. */
  inject(activity: SimActivity, fault: SimFault): void {
    this.faults.set(activity, fault);
  }

  clear(activity?: SimActivity): void {
    if (activity) this.faults.delete(activity);
    else this.faults.clear();
  }

  /** Everything that exists for a cluster, by kind. */
  resources(ref: Key): { networks: number; controlPlanes: number; nodePools: number } {
    const mine = this.store.filter((r) => r.cluster === keyOf(ref));
    const count = (kind: SimResource['kind']) => mine.filter((r) => r.kind === kind).length;
    return { networks: count('network'), controlPlanes: count('controlPlane'), nodePools: count('nodePool') };
  }

  /** Every resource in the cloud, of every cluster. */
  inventory(): readonly SimResource[] {
    return [...this.store];
  }

  /** The creates the cloud received, every one or those of one outcome. */
  creates(outcome?: SimCreate['outcome']): readonly SimCreate[] {
    return this.ledger.filter((c) => !outcome || c.outcome === outcome);
  }

  /** The provider's activities, calling this cloud in the worker's own memory. */
  activities(): ProviderActivities {
    return simActivities((call, signal) => this.perform(call, signal));
  }

  /** Serves one call: its fault if any, its effect, then its latency. */
  async perform(call: SimCall, signal: AbortSignal): Promise<unknown> {
    this.calls.set(call.activity, (this.calls.get(call.activity) ?? 0) + 1);
    await this.observer?.(call, 'received');
    const fault = this.faults.get(call.activity);
    if (fault?.kind === 'hang') {
      // A cancellation may have come already (while the observer was awaited): an abort event would not come again.
      await new Promise((_, reject) => {
        if (signal.aborted) reject(signal.reason);
        else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
    }
    if (fault?.kind === 'reject' && (!fault.pool || fault.pool === poolOf(call))) {
      this.stats.rejected++;
      throw ApplicationFailure.nonRetryable(fault.message, FailureType.nonRetryableCloud);
    }
    if (Math.random() < (this.options.failureRate ?? 0)) {
      this.stats.transientFaults++;
      throw Math.random() < 0.5
        ? ApplicationFailure.retryable('Rate exceeded (simulated throttling)', 'ThrottlingException')
        : ApplicationFailure.retryable('Service unavailable (simulated 503)', 'ServiceUnavailable');
    }
    const result = this.effect(call);
    await this.observer?.(call, 'applied');
    if (this.options.latencyMs) await sleep(this.options.latencyMs, undefined, { signal });
    return result;
  }

  private effect(call: SimCall): unknown {
    const [ref] = call.args;
    switch (call.activity) {
      case 'ensureNetwork':
        return void this.make(call, 'network', ref.name);
      case 'createControlPlane':
        this.need(ref, 'network', ref.name);
        return void this.make(call, 'controlPlane', ref.name);
      case 'awaitControlPlane':
        return void this.need(ref, 'controlPlane', ref.name);
      case 'createNodePool': {
        const [, pool] = call.args;
        this.need(ref, 'controlPlane', ref.name);
        this.make(call, 'nodePool', pool.name).pool = pool;
        return pool.count;
      }
      case 'updateNodePool': {
        const [, pool] = call.args;
        this.need(ref, 'nodePool', pool.name).pool = pool;
        return pool.count;
      }
      case 'upgradeControlPlane':
        return void (this.need(ref, 'controlPlane', ref.name).version = call.args[1]);
      case 'upgradeNodePool': {
        const [, pool, version] = call.args;
        this.need(ref, 'nodePool', pool.name).version = version;
        return pool.count;
      }
      case 'deleteNodePool':
        return void this.remove(ref, 'nodePool', call.args[1]);
      case 'deleteControlPlane':
        if (this.find(ref, 'nodePool')) throw ApplicationFailure.retryable(`cluster ${ref.name} still has node pools`, 'ResourceInUse');
        return void this.remove(ref, 'controlPlane', ref.name);
      case 'deleteNetwork':
        if (this.find(ref, 'controlPlane')) throw ApplicationFailure.retryable(`network of ${ref.name} is in use`, 'DependencyViolation');
        return void this.remove(ref, 'network', ref.name);
    }
  }

  /** Creates a resource, or answers a create that comes again with its token; in the ledger either way (see SimCreate). */
  private make(call: SimCall, kind: SimResource['kind'], name: string): SimResource {
    const [ref] = call.args;
    const { token } = call;
    const existing = this.find(ref, kind, name);
    const outcome = !existing ? 'made' : token !== undefined && existing.token === token ? 'replayed' : 'duplicate';
    this.ledger.push({ kind, cluster: keyOf(ref), name, token, outcome });
    if (outcome === 'replayed') return existing!;
    const resource: SimResource = { id: `${kind}-${this.nextId++}`, kind, cluster: keyOf(ref), name, token };
    this.store.push(resource);
    return resource;
  }

  private need(ref: Key, kind: SimResource['kind'], name: string): SimResource {
    const found = this.find(ref, kind, name);
    if (!found) throw ApplicationFailure.retryable(`${kind} ${name} of ${ref.name} not found`, FailureType.cloudResourceMissing);
    return found;
  }

  private find(ref: Key, kind: SimResource['kind'], name?: string): SimResource | undefined {
    return this.store.find((r) => r.cluster === keyOf(ref) && r.kind === kind && (name === undefined || r.name === name));
  }

  private remove(ref: Key, kind: SimResource['kind'], name: string): void {
    const found = this.find(ref, kind, name);
    if (found) this.store.splice(this.store.indexOf(found), 1);
  }
}

/**
 * The sim provider's activities over any way of reaching the cloud. They
 * heartbeat while a call runs, so a killed worker's call is retried after the
 * heartbeat timeout and a cancellation reaches a call that hangs. Each call
 * carries a token derived from its workflow step, as EKS's clientRequestToken:
 * every attempt of a step sends the same one.
 */
export function simActivities(send: (call: SimCall, signal: AbortSignal) => Promise<unknown>): ProviderActivities {
  const call = (activity: SimActivity) => (...args: unknown[]) => {
    const sim = { activity, args } as SimCall;
    sim.token = requestToken([activity, poolOf(sim)].filter(Boolean).join('/'));
    return withHeartbeat((signal) => send(sim, signal));
  };
  const calls = Object.fromEntries(SIM_ACTIVITIES.map((activity) => [activity, call(activity)])) as unknown as ProviderActivities;
  // The same list wherever the sim cloud is served: a read of no resource, so not one of its calls.
  return { ...calls, kubernetesVersions: async () => SIM_VERSIONS };
}

/** The minors sim offers: those EKS, GKE and AKS all offered in late 2026, and the next; its default among them. */
export const SIM_VERSIONS: OfferedVersion[] = ['1.33', '1.34', '1.35', '1.36'].map((version) => ({
  version,
  ...(version === PROVIDERS.sim.defaultKubernetesVersion ? { default: true } : {}),
}));

// Every activity, checked by the compiler: a new one cannot be forgotten here.
const SIM_ACTIVITIES = Object.keys({
  ensureNetwork: 0,
  createControlPlane: 0,
  awaitControlPlane: 0,
  createNodePool: 0,
  updateNodePool: 0,
  deleteNodePool: 0,
  deleteControlPlane: 0,
  deleteNetwork: 0,
  upgradeControlPlane: 0,
  upgradeNodePool: 0,
} satisfies Record<SimActivity, 0>) as SimActivity[];

function keyOf(ref: Key): string {
  return `${ref.org}/${ref.name}`;
}

/** The node pool a call is about, if any. */
function poolOf(call: SimCall): string | undefined {
  if (call.activity === 'createNodePool' || call.activity === 'updateNodePool' || call.activity === 'upgradeNodePool') return call.args[1].name;
  if (call.activity === 'deleteNodePool') return call.args[1];
  return undefined;
}
