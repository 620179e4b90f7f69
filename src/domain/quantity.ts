/** Kubernetes quantity suffixes (k8s.io/apimachinery resource.Quantity): binary, decimal SI, or none. */
const MULTIPLIERS: Record<string, number> = {
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
  n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
};

const QUANTITY = /^\+?(\d+(?:\.\d*)?|\.\d+)(?:[eE]([+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/;

/**
 * A resource quantity as a number (`500m` → 0.5, `1Gi` → 1073741824, `1e3` → 1000), or
 * undefined for what the Kubernetes API would refuse: a negative or malformed one.
 */
export function parseQuantity(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const match = QUANTITY.exec(value);
  if (!match) return undefined;
  const [, digits, exponent, suffix] = match;
  return Number(digits) * (exponent !== undefined ? 10 ** Number(exponent) : MULTIPLIERS[suffix ?? '']!);
}
