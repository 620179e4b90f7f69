import type { NodePoolSpec } from '../cluster.js';
import type { Arch, PricedInstanceType } from '../catalogue/catalogue.js';
import { cheapestCover, type CoverItem, type CoverOptions, type CoverSolution } from './cover.js';

/** CPU (vCPU), memory (GiB) and whole GPUs. */
export interface Resources {
  cpu: number;
  memoryGiB: number;
  gpu: number;
}

/** What a cluster must hold, in total over its nodes. */
export interface Requirement {
  cpu: number;
  memoryGiB: number;
  /** Whole GPUs; fractional-GPU types (AWS g6f) do not count. Without it, GPU types are left out. */
  gpu?: number;
  /** Only GPU types of this model (case ignored); types without GPUs still count for CPU and memory. */
  gpuModel?: string;
  minNodes?: number;
  maxNodes?: number;
  /**
   * 0–1, the share of the requirement spot nodes may carry: on-demand nodes
   * alone hold at least (1 − spotShare) of the cpu, memory and GPUs. Spot is
   * used only where its price is known and lower.
   */
  spotShare?: number;
  /** Every node of one instance type (on demand, spot or both). */
  sameSize?: boolean;
  /** Without it, types of either architecture, possibly mixed. */
  arch?: Arch;
  /** Allow burstable and shared-core types, whose vCPUs are not all sustained. */
  burstable?: boolean;
  /**
   * Taken on every node on top of the requirement (a chart's DaemonSets): a node
   * counts only for what it has left, and a type with less than this is not used.
   * Small types lose most, so it changes which layout is cheapest.
   */
  perNode?: Resources;
  /** What the largest pod asks for: only types that hold it beside `perNode` are used. */
  largestPod?: Resources;
}

export interface LayoutCapacity {
  cpu: number;
  memoryGiB: number;
  gpus: number;
  nodes: number;
  spotNodes: number;
}

export interface Layout {
  /** Valid `nodePools` of a POST /clusters body. */
  nodePools: NodePoolSpec[];
  /** USD per hour at the types' prices (spot at spot price). */
  hourly: number;
  /** False when the search stopped at its node limit; the layout then costs at most `hourly − lowerBound` more than the best. */
  optimal: boolean;
  lowerBound: number;
  capacity: LayoutCapacity;
}

const EPS = 1e-9;

/** One node of a type, on demand or spot. */
interface Offer {
  type: PricedInstanceType;
  spot: boolean;
  price: number;
  /** What the node holds for the requirement, once `perNode` is taken. */
  room: { cpu: number; memoryGiB: number; gpus: number };
}

/** Dimensions of the cover: the total, the node count, then what on-demand nodes alone must hold. */
const amountsOf = ({ room: { cpu, memoryGiB, gpus }, spot }: Offer) => {
  const onDemand = spot ? [0, 0, 0] : [cpu, memoryGiB, gpus];
  return [cpu, memoryGiB, gpus, 1, ...onDemand];
};

/** What a node of the type can be counted on for: shared-core vCPUs at their billed share, fractional GPUs not at all. */
function effectiveCapacity(type: PricedInstanceType): { cpu: number; memoryGiB: number; gpus: number } {
  return { cpu: type.cpu * (type.cpuShare ?? 1), memoryGiB: type.memoryGiB, gpus: type.gpuFraction === undefined ? type.gpus : 0 };
}

/** What a node of the type holds for the requirement: its capacity less what `perNode` takes on it. */
function roomOf(type: PricedInstanceType, { perNode }: Requirement): Offer['room'] {
  const { cpu, memoryGiB, gpus } = effectiveCapacity(type);
  return { cpu: cpu - (perNode?.cpu ?? 0), memoryGiB: memoryGiB - (perNode?.memoryGiB ?? 0), gpus: gpus - (perNode?.gpu ?? 0) };
}

/** Whether a node of the type has room for the largest pod (nothing: for `perNode` alone). */
function holds(room: Offer['room'], { largestPod }: Requirement): boolean {
  return room.cpu >= (largestPod?.cpu ?? 0) - EPS && room.memoryGiB >= (largestPod?.memoryGiB ?? 0) - EPS && room.gpus >= (largestPod?.gpu ?? 0) - EPS;
}

function usable(type: PricedInstanceType, requirement: Requirement): boolean {
  const wantsGpu = (requirement.gpu ?? 0) > 0 || (requirement.perNode?.gpu ?? 0) > 0;
  const gpuOk =
    type.gpus === 0 ||
    (wantsGpu && type.gpuFraction === undefined && (requirement.gpuModel === undefined || type.gpuModel?.toLowerCase() === requirement.gpuModel.toLowerCase()));
  return gpuOk && (requirement.arch === undefined || type.arch === requirement.arch) && (requirement.burstable === true || !type.burstable);
}

function offersOf(types: readonly PricedInstanceType[], requirement: Requirement): Offer[] {
  return types
    .filter((type) => usable(type, requirement))
    .flatMap((type) => {
      const room = roomOf(type, requirement);
      if (!holds(room, requirement)) return [];
      return [
        { type, spot: false, price: type.onDemand, room },
        ...(type.spot !== undefined && type.spot < type.onDemand ? [{ type, spot: true, price: type.spot, room }] : []),
      ];
    });
}

/** A pool name from its type: a DNS label, e.g. m5-large, standard-d4s-v5-spot. */
function poolName(instanceType: string, spot: boolean): string {
  const base = instanceType.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return spot ? `${base}-spot` : base;
}

function toLayout(offers: readonly Offer[], solution: Pick<CoverSolution, 'counts' | 'cost' | 'optimal' | 'lowerBound'>): Layout {
  const used = offers.map((offer, i) => ({ offer, count: solution.counts[i]! })).filter(({ count }) => count > 0);
  const capacity: LayoutCapacity = { cpu: 0, memoryGiB: 0, gpus: 0, nodes: 0, spotNodes: 0 };
  for (const { offer, count } of used) {
    const node = effectiveCapacity(offer.type);
    capacity.cpu += count * node.cpu;
    capacity.memoryGiB += count * node.memoryGiB;
    capacity.gpus += count * node.gpus;
    capacity.nodes += count;
    if (offer.spot) capacity.spotNodes += count;
  }
  return {
    nodePools: used.map(({ offer, count }) => ({
      name: poolName(offer.type.name, offer.spot),
      instanceType: offer.type.name,
      count,
      ...(offer.spot ? { spot: true } : {}),
    })),
    hourly: solution.cost,
    optimal: solution.optimal,
    lowerBound: solution.lowerBound,
    capacity,
  };
}


/**
 * The cheapest layout of one type: the fewest nodes that meet the requirement,
 * with as few of them on demand as the spot share allows. Exact: a node costs
 * more than nothing, and spot (where offered) less than on demand.
 */
function singleTypeCounts(own: readonly Offer[], requirement: Requirement, maxNodesPerPool: number): number[] | undefined {
  const node = own[0]!.room;
  const needs: [number, number][] = [
    [requirement.cpu, node.cpu],
    [requirement.memoryGiB, node.memoryGiB],
    [requirement.gpu ?? 0, node.gpus],
  ];
  const nodesFor = (share: number) =>
    Math.max(0, ...needs.map(([need, amount]) => (need * share <= EPS ? 0 : amount > 0 ? Math.ceil((need * share) / amount - EPS) : Infinity)));
  const total = Math.max(nodesFor(1), requirement.minNodes ?? 0);
  const hasSpot = own.length > 1;
  const onDemand = hasSpot ? Math.max(nodesFor(1 - (requirement.spotShare ?? 0)), total - maxNodesPerPool) : total;
  if (!Number.isFinite(total) || total > (requirement.maxNodes ?? Infinity) || onDemand > maxNodesPerPool) return undefined;
  return hasSpot ? [onDemand, total - onDemand] : [onDemand];
}

const costOf = (offers: readonly Offer[], counts: readonly number[]) => offers.reduce((sum, offer, i) => sum + offer.price * counts[i]!, 0);

/**
 * The cheapest layout of the region's priced types that meets the requirement,
 * or undefined if none does (or none costs less than `options.cutoff`). With
 * `sameSize`, the best single-type layout; otherwise that one seeds the
 * search over every mix of types.
 */
export function cheapestLayout(
  types: readonly PricedInstanceType[],
  requirement: Requirement,
  maxNodesPerPool: number,
  options: Pick<CoverOptions, 'cutoff' | 'nodeLimit'> = {},
): Layout | undefined {
  const offers = offersOf(types, requirement);
  const byType = new Map<PricedInstanceType, Offer[]>();
  for (const offer of offers) byType.set(offer.type, [...(byType.get(offer.type) ?? []), offer]);
  let best: { own: Offer[]; counts: number[]; cost: number } | undefined;
  for (const own of byType.values()) {
    const counts = singleTypeCounts(own, requirement, maxNodesPerPool);
    if (!counts) continue;
    const cost = costOf(own, counts);
    if (!best || cost < best.cost - EPS) best = { own, counts, cost };
  }
  if (requirement.sameSize) {
    if (!best || best.cost >= (options.cutoff ?? Infinity)) return undefined;
    return toLayout(best.own, { counts: best.counts, cost: best.cost, optimal: true, lowerBound: best.cost });
  }
  const single = best && offers.map((offer) => (best.own.includes(offer) ? best.counts[best.own.indexOf(offer)]! : 0));

  const spotShare = requirement.spotShare ?? 0;
  const need = [requirement.cpu, requirement.memoryGiB, requirement.gpu ?? 0, requirement.minNodes ?? 0];
  const solution = cheapestCover(
    {
      items: offers.map((offer): CoverItem => ({ price: offer.price, amounts: amountsOf(offer), maxCount: maxNodesPerPool })),
      need: [...need, ...need.slice(0, 3).map((n) => n * (1 - spotShare))],
      maxTotal: requirement.maxNodes ?? Infinity,
    },
    { ...options, start: single },
  );
  return solution && toLayout(offers, solution);
}
