import { clusterLabels } from './cluster-labels.js';
import type { ClusterRef } from './cluster.js';
import type { TargetRecord } from './groups.js';
import { matches, selectorRequirements, type LabelSelector } from './label-selector.js';

/** A wave names its clusters, selects them by label, or takes a share of the targets. */
export type WaveSpec = { clusters: string[] } | { selector: LabelSelector } | { percent: number };

/** How a deployment reaches its targets: wave after wave, each gated on its targets' health (issue 16, point 5). */
export interface RolloutSpec {
  waves: WaveSpec[];
  /** At most this many targets of a wave at once; all of them when absent. */
  maxParallel?: number;
  healthTimeoutSeconds: number;
  onFailure: 'rollback' | 'halt';
  pauseBetweenWavesSeconds?: number;
  approval?: 'manual';
}

export const DEFAULT_HEALTH_TIMEOUT_SECONDS = 300;
export const MAX_HEALTH_TIMEOUT_SECONDS = 3600;

/** A target's place in a running rollout, as the Web UI and the API show it. */
export type TargetHealth = 'PENDING' | 'PROGRESSING' | 'HEALTHY' | 'DEGRADED' | 'FAILED' | 'ROLLED_BACK' | 'UNINSTALLED';
export type WaveState = 'PENDING' | 'RUNNING' | 'HEALTHY' | 'FAILED' | 'ROLLED_BACK' | 'SKIPPED';

export interface WaveProgress {
  state: WaveState;
  targets: { clusterName: string; health: TargetHealth; reason?: string }[];
}

/** Where a rollout stands; kept on its apply operation. */
export interface RolloutProgress {
  waves: WaveProgress[];
  /** The wave running or next to run (0-based). */
  current: number;
  paused: boolean;
  awaitingApproval: boolean;
  aborted: boolean;
}

export type RolloutAction = 'pause' | 'resume' | 'abort' | 'approve';

/**
 * The targets of each wave, in order. A cluster goes to the first wave that names or selects it;
 * a percent wave takes that share of all targets (rounded up, at least one) from those not yet
 * placed, by name; targets no wave placed form a last wave of their own. Empty waves are dropped.
 */
export function resolveWaves(rollout: Pick<RolloutSpec, 'waves'>, targets: readonly ClusterRef[]): ClusterRef[][] {
  const left = [...targets].sort((a, b) => a.name.localeCompare(b.name));
  const take = (which: (t: ClusterRef) => boolean) => left.filter(which).map((t) => left.splice(left.indexOf(t), 1)[0]!);
  const waves = rollout.waves.map((wave) => {
    if ('clusters' in wave) return take((t) => wave.clusters.includes(t.name));
    if ('selector' in wave) {
      const found = selectorRequirements(wave.selector);
      return 'requirements' in found ? take((t) => matches(clusterLabels(t), found.requirements)) : [];
    }
    const count = Math.max(1, Math.ceil((targets.length * wave.percent) / 100));
    const chosen = new Set(left.slice(0, count));
    return take((t) => chosen.has(t));
  });
  return [...waves, left].filter((wave) => wave.length > 0);
}

/** A fresh progress record for the waves about to run. */
export function startProgress(waves: readonly ClusterRef[][]): RolloutProgress {
  return {
    waves: waves.map((wave) => ({ state: 'PENDING', targets: wave.map((t) => ({ clusterName: t.name, health: 'PENDING' })) })),
    current: 0,
    paused: false,
    awaitingApproval: false,
    aborted: false,
  };
}

/** Why an action does not apply to a rollout as it stands, or undefined when it does. */
export function actionRefusal(progress: RolloutProgress | undefined, action: RolloutAction): string | undefined {
  if (!progress) return 'no rollout is running';
  if (progress.aborted) return 'the rollout is being aborted';
  if (action === 'approve' && !progress.awaitingApproval) return 'the rollout is not waiting for approval';
  if (action === 'resume' && !progress.paused) return 'the rollout is not paused';
  if (action === 'pause' && progress.paused) return 'the rollout is already paused';
  return undefined;
}

/**
 * A target read live from Helm, told with the health the entity last saw: Helm alone cannot tell
 * a revision still PROGRESSING (or DEGRADED) from a healthy one, so that record wins for the same revision.
 */
export function withRecordedHealth(live: TargetRecord, recorded: TargetRecord | undefined): TargetRecord {
  if (live.status !== 'DEPLOYED' || !recorded || recorded.revision !== live.revision) return live;
  if (recorded.status !== 'PROGRESSING' && recorded.status !== 'DEGRADED') return live;
  return { ...live, status: recorded.status, stale: recorded.stale, ...(recorded.message ? { message: recorded.message } : {}) };
}
