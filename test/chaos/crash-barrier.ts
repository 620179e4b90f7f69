import type { SimCall, SimPhase } from '../../src/adapters/providers/sim/index.js';

/** A place in an operation to crash at: the `call`-th cloud call as it reaches the cloud, or once it took effect (its answer not yet sent). */
export interface KillPoint {
  call: number;
  phase: SimPhase;
}

/** Every kill point of an operation that makes `calls` cloud calls. */
export function killPoints(calls: number): KillPoint[] {
  return Array.from({ length: calls }, (_, i): KillPoint[] => [
    { call: i + 1, phase: 'received' },
    { call: i + 1, phase: 'applied' },
  ]).flat();
}

/** The call a cluster was held at, where, and how often it came again after the crash. */
export interface Held extends KillPoint {
  activity: SimCall['activity'];
  token?: string;
  retries: number;
}

/**
 * A sim cloud observer that holds each cluster's call at that cluster's kill
 * point, so that one crash of the worker finds every cluster at its own point.
 * Held calls are dropped on `release()`, as a dead worker's calls are: one held
 * on arrival never takes effect, one held after its effect never answers.
 * It keeps watching after the release and counts every held call that comes
 * again (the same token: a retry of the same step), so a test can check that
 * the crash cut each call and that the call was retried.
 */
export class CrashBarrier {
  /** Resolves once every cluster is held at its point. */
  readonly allHeld: Promise<void>;
  /** Per cluster, the call it was held at. */
  readonly held = new Map<string, Held>();
  private readonly seen = new Map<string, number>();
  private readonly index = new WeakMap<SimCall, number>();
  private readonly dropped: Promise<never>;
  private released = false;
  private drop!: (err: Error) => void;
  private heldAll!: () => void;

  constructor(private readonly points: Map<string, KillPoint>) {
    this.allHeld = new Promise((resolve) => (this.heldAll = resolve));
    this.dropped = new Promise<never>((_, reject) => (this.drop = reject));
    this.dropped.catch(() => undefined);
  }

  readonly observe = (call: SimCall, phase: SimPhase): Promise<never> | undefined => {
    const cluster = call.args[0].name;
    const held = this.held.get(cluster);
    if (this.released) {
      if (held && phase === 'received' && call.token === held.token) held.retries++;
      return undefined;
    }
    if (phase === 'received') {
      const n = (this.seen.get(cluster) ?? 0) + 1;
      this.seen.set(cluster, n);
      this.index.set(call, n);
    }
    const point = this.points.get(cluster);
    if (!point || held || point.phase !== phase || this.index.get(call) !== point.call) return undefined;
    this.held.set(cluster, { ...point, activity: call.activity, token: call.token, retries: 0 });
    if (this.held.size === this.points.size) this.heldAll();
    return this.dropped;
  };

  release(): void {
    this.released = true;
    this.drop(new Error('the worker that made this call was killed'));
  }
}
