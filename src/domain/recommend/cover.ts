import { solveCoverLp } from './lp.js';

/**
 * The cheapest integer cover: choose a count x_i ≥ 0 of each item so that
 *
 *   Σ_i amounts_i[d] · x_i ≥ need[d]   for every dimension d
 *   Σ_i x_i ≤ maxTotal,   x_i ≤ maxCount_i
 *
 * at the least Σ_i price_i · x_i: an integer program, solved exactly by
 * LP-based branch and bound (docs/economics.md, "The recommender"). Items that
 * another item dominates are dropped first. Each node of the search solves
 * the linear relaxation under its bounds on counts (lp.ts); a node whose
 * relaxation costs no less than the best cover found is cut; otherwise the
 * relaxation rounded up (and rounded down, then topped up by one item) is
 * tried as a cover, and the node splits on its most fractional count
 * (x_j ≤ ⌊v⌋ | x_j ≥ ⌈v⌉), diving into the child the relaxation leans to.
 * Other open nodes are taken cheapest bound first, so when the node limit
 * stops the search, the least bound of the open nodes is a lower bound on
 * every cover.
 */

export interface CoverItem {
  price: number;
  amounts: readonly number[];
  maxCount: number;
}

export interface CoverProblem {
  items: readonly CoverItem[];
  need: readonly number[];
  maxTotal: number;
}

export interface CoverSolution {
  /** One count per item of the problem, in its order. */
  counts: number[];
  cost: number;
  /** False when the search stopped at its node limit: `cost` is then the best found, and `lowerBound` holds. */
  optimal: boolean;
  /** No cover costs less. */
  lowerBound: number;
  /** Branch-and-bound nodes solved. */
  explored: number;
}

/** Tolerance for sums of fractional amounts (memory in GiB such as 3.75, needs such as 0.7 × 9). */
const EPS = 1e-9;
const INTEGRAL = 1e-6;
/** Relaxations a search may solve before it answers with the best cover found and a bound. */
export const DEFAULT_NODE_LIMIT = 400;

interface Candidate {
  index: number;
  price: number;
  amounts: number[];
  maxCount: number;
}

/** A branch: bounds on some candidates' counts. */
interface SearchNode {
  lower: number[];
  upper: number[];
  bound: number;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

/** How many of the item could still help: more than covers every remaining need alone is waste. */
function usefulCount(amounts: readonly number[], remaining: readonly number[]): number {
  let count = 0;
  remaining.forEach((r, d) => {
    if (r > EPS && amounts[d]! > 0) count = Math.max(count, Math.ceil(r / amounts[d]! - EPS));
  });
  return count;
}

/** Items no other item dominates (as much of every amount, for no more). Safe only when no item's cap can bind. */
function undominated(candidates: Candidate[]): Candidate[] {
  const kept: Candidate[] = [];
  for (const c of [...candidates].sort((a, b) => a.price - b.price || a.index - b.index)) {
    if (!kept.some((k) => k.price <= c.price && k.amounts.every((x, d) => x >= c.amounts[d]!))) kept.push(c);
  }
  return kept;
}

/** A binary heap of search nodes, least bound on top. */
class NodeQueue {
  private readonly heap: SearchNode[] = [];
  get size() {
    return this.heap.length;
  }
  least(): number {
    return this.heap[0]?.bound ?? Infinity;
  }
  push(node: SearchNode) {
    const heap = this.heap;
    heap.push(node);
    for (let i = heap.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.bound <= heap[i]!.bound) break;
      [heap[parent], heap[i]] = [heap[i]!, heap[parent]!];
      i = parent;
    }
  }
  pop(): SearchNode {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      for (let i = 0; ; ) {
        const [l, r] = [2 * i + 1, 2 * i + 2];
        let m = i;
        if (l < heap.length && heap[l]!.bound < heap[m]!.bound) m = l;
        if (r < heap.length && heap[r]!.bound < heap[m]!.bound) m = r;
        if (m === i) break;
        [heap[m], heap[i]] = [heap[i]!, heap[m]!];
        i = m;
      }
    }
    return top;
  }
}

export interface CoverOptions {
  /** Counts per item of a known cover, so the search cuts branches from the outset. */
  start?: readonly number[];
  /** Only covers cheaper than this are of interest. */
  cutoff?: number;
  nodeLimit?: number;
}

/**
 * The cheapest cover, or undefined if none was found below the cutoff (none
 * exists, unless the node limit stopped the search).
 */
export function cheapestCover(problem: CoverProblem, options: CoverOptions = {}): CoverSolution | undefined {
  const { start, cutoff = Infinity, nodeLimit = DEFAULT_NODE_LIMIT } = options;
  // Dimensions already met need no constraint; the rest are searched over.
  const dims = problem.need.map((n, d) => (n > EPS ? d : -1)).filter((d) => d >= 0);
  const need = dims.map((d) => problem.need[d]!);
  let candidates: Candidate[] = problem.items
    .map((item, index) => ({ index, price: item.price, amounts: dims.map((d) => item.amounts[d]!), maxCount: item.maxCount }))
    .filter((c) => c.maxCount > 0 && usefulCount(c.amounts, need) > 0);
  if (candidates.every((c) => usefulCount(c.amounts, need) <= c.maxCount)) candidates = undominated(candidates);
  const n = candidates.length;
  const prices = candidates.map((c) => c.price);

  let best: { counts: number[]; cost: number } | undefined;
  /** What a branch must beat to be searched. */
  const ceiling = () => Math.min(best ? best.cost : Infinity, cutoff);
  const offer = (counts: number[]) => {
    const total = counts.reduce((sum, k) => sum + k, 0);
    const covers = need.every((r, d) => candidates.reduce((sum, c, j) => sum + c.amounts[d]! * counts[j]!, 0) >= r - EPS);
    const allowed = total <= problem.maxTotal && counts.every((k, j) => k <= candidates[j]!.maxCount);
    const cost = dot(counts, prices);
    if (covers && allowed && cost < ceiling() - EPS) best = { counts, cost };
  };
  if (start) offer(candidates.map((c) => start[c.index]!));

  const rootUseful = candidates.map((c) => usefulCount(c.amounts, need));
  /**
   * The node's relaxation: counts shifted by their lower bounds; counts fixed by their bounds left
   * out; upper bounds that can bind as rows −x_j ≥ −(u_j − l_j).
   */
  const relax = (node: Omit<SearchNode, 'bound'>, cutoff: number) => {
    const free = candidates.map((_, j) => j).filter((j) => node.upper[j]! > node.lower[j]!);
    const remaining = need.map((r, d) => Math.max(r - candidates.reduce((sum, c, j) => sum + c.amounts[d]! * node.lower[j]!, 0), 0));
    const fixedCost = dot(node.lower, prices);
    const capped = free.filter((j) => node.upper[j]! < rootUseful[j]!);
    const a = [
      ...need.map((_, d) => Float64Array.from(free, (j) => candidates[j]!.amounts[d]!)),
      ...(Number.isFinite(problem.maxTotal) ? [new Float64Array(free.length).fill(-1)] : []),
      ...capped.map((j) => Float64Array.from(free, (i) => (i === j ? -1 : 0))),
    ];
    const nodesLeft = problem.maxTotal - node.lower.reduce((sum, k) => sum + k, 0);
    const b = [...remaining, ...(Number.isFinite(problem.maxTotal) ? [-nodesLeft] : []), ...capped.map((j) => node.lower[j]! - node.upper[j]!)];
    const result = solveCoverLp(a, free.map((j) => prices[j]!), b, cutoff - fixedCost);
    if (!result.x) return { bound: fixedCost + result.value };
    const x = [...node.lower];
    free.forEach((j, i) => (x[j] = x[j]! + result.x![i]!));
    return { bound: fixedCost + result.value, x };
  };

  const queue = new NodeQueue();
  const root = { lower: new Array<number>(n).fill(0), upper: candidates.map((c) => c.maxCount) };
  const rootBound = relax(root, Infinity).bound;
  if (rootBound < ceiling() - EPS) queue.push({ ...root, bound: rootBound });
  let explored = 0;
  // The least bound of nodes whose relaxation hit its iteration cap: their branches were not searched.
  let unsearched = Infinity;
  // After a split the search dives into one child at once: diving reaches covers near the relaxation
  // early, and the queue, cheapest bound first, keeps the lower bound moving.
  let dive: SearchNode | undefined;
  while ((dive || queue.size > 0) && explored < nodeLimit) {
    const diving = dive !== undefined;
    const node = dive ?? queue.pop();
    dive = undefined;
    if (node.bound >= ceiling() - EPS) {
      if (diving) continue;
      break; // every open node is at least as costly
    }
    explored++;
    const { bound, x } = relax(node, ceiling());
    if (bound >= ceiling() - EPS) continue;
    if (!x) {
      unsearched = Math.min(unsearched, bound);
      continue;
    }
    offer(x.map((v) => Math.max(0, Math.ceil(v - INTEGRAL))));
    const floors = x.map((v) => Math.max(0, Math.floor(v + INTEGRAL)));
    const short = need.map((r, d) => r - candidates.reduce((sum, c, j) => sum + c.amounts[d]! * floors[j]!, 0));
    const topUp = candidates
      .map((c, j) => ({ j, k: usefulCount(c.amounts, short) }))
      .reduce<{ j: number; k: number } | undefined>((a, t) => (t.k > 0 && (!a || t.k * prices[t.j]! < a.k * prices[a.j]!) ? t : a), undefined);
    offer(topUp ? floors.map((k, j) => (j === topUp.j ? k + topUp.k : k)) : floors);

    let split = -1;
    x.forEach((v, j) => {
      const fraction = Math.abs(v - Math.round(v));
      if (fraction > INTEGRAL && (split < 0 || fraction > Math.abs(x[split]! - Math.round(x[split]!)))) split = j;
    });
    if (split < 0) continue; // integral: offered above
    const down = { lower: node.lower, upper: node.upper.map((u, j) => (j === split ? Math.floor(x[split]!) : u)), bound };
    const up = { lower: node.lower.map((l, j) => (j === split ? Math.ceil(x[split]!) : l)), upper: node.upper, bound };
    const leaning = x[split]! - Math.floor(x[split]!) >= 0.5 ? up : down;
    for (const child of [down, up].filter((c) => c.lower[split]! <= c.upper[split]!)) {
      if (child === leaning) dive = child;
      else queue.push(child);
    }
  }

  if (!best) return undefined;
  const found = best;
  const lowerBound = Math.min(queue.least(), dive?.bound ?? Infinity, unsearched, found.cost);
  const counts = new Array<number>(problem.items.length).fill(0);
  found.counts.forEach((k, j) => (counts[candidates[j]!.index] = k));
  return { counts, cost: found.cost, optimal: lowerBound >= found.cost - EPS, lowerBound, explored };
}
