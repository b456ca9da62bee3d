import { DriftLevel, driftLevel, populationStabilityIndex } from './population-stability';
import { ReferenceDistribution } from './reference-distribution';

export interface FeatureDrift {
  feature: string;
  psi: number;
  level: DriftLevel;
}

export interface DriftReport {
  /** `insufficient`: too few predictions to compare; `unavailable`: no reference to compare with. */
  status: 'computed' | 'insufficient' | 'unavailable';
  version?: string;
  predictions: number;
  features: FeatureDrift[];
  note?: string;
}

export interface DriftOptions {
  moderate: number;
  significant: number;
  minSample: number;
}

/** Per feature, the count of each bin (numbers) or value (categories) in the window. */
export type BinCounts = ReadonlyMap<string, ReadonlyMap<string, number>>;

/**
 * Population Stability Index of every feature of `reference` between the version's predictions
 * in the window (`counts`) and its training reference, the worst first; `insufficient` below
 * `minSample` predictions.
 */
export function driftReport(
  version: string,
  reference: ReferenceDistribution,
  counts: BinCounts,
  options: DriftOptions,
): DriftReport {
  const names = Object.keys(reference);
  if (names.length === 0) {
    return {
      status: 'unavailable',
      version,
      predictions: 0,
      features: [],
      note: 'the manifest has no reference distribution',
    };
  }
  const predictions = [...(counts.get(names[0])?.values() ?? [])].reduce((sum, n) => sum + n, 0);
  if (predictions < options.minSample) {
    return {
      status: 'insufficient',
      version,
      predictions,
      features: [],
      note: `${predictions} predictions of version ${version} in the window; drift needs at least ${options.minSample}`,
    };
  }
  const features = names
    .map((feature) => {
      const psi = populationStabilityIndex(reference[feature], counts.get(feature) ?? new Map());
      return {
        feature,
        psi: Number(psi.toFixed(4)),
        level: driftLevel(psi, options.moderate, options.significant),
      };
    })
    .sort((a, b) => b.psi - a.psi);
  return { status: 'computed', version, predictions, features };
}
