import { FeatureReference } from './reference-distribution';

export type DriftLevel = 'stable' | 'moderate' | 'significant';

// Empty bins would make PSI infinite; this floor is the usual smoothing.
const FLOOR = 1e-4;

/**
 * Population Stability Index of actual counts against reference proportions:
 * Σ (aᵢ − eᵢ)·ln(aᵢ / eᵢ) over the bins (numbers) or values (categories).
 * `actual` maps bin index (as a string) or category value to its count.
 */
export function populationStabilityIndex(
  reference: FeatureReference,
  actual: ReadonlyMap<string, number>,
): number {
  const total = [...actual.values()].reduce((sum, n) => sum + n, 0);
  if (total === 0) return 0;
  const expected: [string, number][] =
    reference.kind === 'numeric'
      ? reference.proportions.map((p, i) => [String(i), p])
      : Object.entries(reference.proportions);
  let psi = 0;
  for (const [key, e] of expected) {
    const a = Math.max((actual.get(key) ?? 0) / total, FLOOR);
    const ex = Math.max(e, FLOOR);
    psi += (a - ex) * Math.log(a / ex);
  }
  return psi;
}

export function driftLevel(psi: number, moderate: number, significant: number): DriftLevel {
  if (psi >= significant) return 'significant';
  if (psi >= moderate) return 'moderate';
  return 'stable';
}
