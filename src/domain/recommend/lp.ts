/**
 * The linear relaxation of a cover: min p·x subject to A x ≥ b, x ≥ 0 (x
 * real), by the dual simplex method. Prices are not negative, so the
 * all-surplus basis is dual feasible from the start and every iteration's
 * objective is itself a lower bound (weak duality): the method stops as soon
 * as that bound reaches `cutoff`, since the caller then discards the branch.
 */

export interface LpResult {
  /** A lower bound on p·x; Infinity when no x satisfies A x ≥ b. */
  value: number;
  /** The optimal x, when the method ran to the optimum (not stopped at the cutoff or its iteration cap). */
  x?: Float64Array;
}

const EPS = 1e-9;

/** `a[r]` is row r of A (one entry per item), `prices[j]` item j's price. */
export function solveCoverLp(a: readonly Float64Array[], prices: readonly number[], b: readonly number[], cutoff = Infinity): LpResult {
  const rows = b.length;
  const n = prices.length;
  const width = n + rows;
  // Tableau of −A x + s = −b, basis s: row r holds −A[r] then the identity.
  const tableau = a.map((aRow, r) => {
    const row = new Float64Array(width);
    for (let j = 0; j < n; j++) row[j] = -aRow[j]!;
    row[n + r] = 1;
    return row;
  });
  const rhs = b.map((value) => -value);
  const basis = b.map((_, r) => n + r);
  const reduced = new Float64Array(width);
  prices.forEach((p, j) => (reduced[j] = p));
  let value = 0;

  for (let iteration = 0; iteration < 20 * (rows + 1); iteration++) {
    if (value >= cutoff) return { value };
    let leaving = -1;
    for (let r = 0; r < rows; r++) if (rhs[r]! < -EPS && (leaving < 0 || rhs[r]! < rhs[leaving]!)) leaving = r;
    if (leaving < 0) {
      const x = new Float64Array(n);
      basis.forEach((j, r) => j < n && (x[j] = Math.max(rhs[r]!, 0)));
      return { value, x };
    }
    const pivotRow = tableau[leaving]!;
    let entering = -1;
    let ratio = Infinity;
    for (let j = 0; j < width; j++) {
      if (pivotRow[j]! < -EPS) {
        const candidate = Math.max(reduced[j]!, 0) / -pivotRow[j]!;
        if (candidate < ratio - EPS) [entering, ratio] = [j, candidate];
      }
    }
    if (entering < 0) return { value: Infinity };
    const pivot = pivotRow[entering]!;
    for (let j = 0; j < width; j++) pivotRow[j]! /= pivot;
    rhs[leaving]! /= pivot;
    for (let r = 0; r < rows; r++) {
      const factor = r === leaving ? 0 : tableau[r]![entering]!;
      if (factor === 0) continue;
      const row = tableau[r]!;
      for (let j = 0; j < width; j++) row[j]! -= factor * pivotRow[j]!;
      rhs[r]! -= factor * rhs[leaving]!;
    }
    const factor = reduced[entering]!;
    for (let j = 0; j < width; j++) reduced[j]! -= factor * pivotRow[j]!;
    value += factor * rhs[leaving]!;
    basis[leaving] = entering;
  }
  return { value };
}
