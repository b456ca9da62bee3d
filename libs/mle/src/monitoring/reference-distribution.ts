import { Features, FeatureSchema } from '../feature-schema';

/**
 * A numeric feature's training distribution: `edges` are the interior cut points of quantile
 * bins, and bin i holds the values v with edges[i-1] <= v < edges[i] (as SQL's
 * `width_bucket(v, edges)` counts). Ties collapse duplicate edges, so an integer feature with
 * few values gets fewer bins.
 */
export interface NumericReference {
  kind: 'numeric';
  edges: number[];
  proportions: number[];
}

/** A category's or boolean's training frequencies, keyed by value (`"true"`/`"false"` for booleans). */
export interface CategoricalReference {
  kind: 'categorical';
  proportions: Record<string, number>;
}

export type FeatureReference = NumericReference | CategoricalReference;

/** Per feature, what the training data looked like: drift detection compares traffic with it. */
export type ReferenceDistribution = Record<string, FeatureReference>;

export const DEFAULT_REFERENCE_BINS = 10;

/** Index of the bin `value` falls in: the number of edges <= value. */
export function binIndex(edges: readonly number[], value: number): number {
  let low = 0;
  let high = edges.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (edges[mid] <= value) low = mid + 1;
    else high = mid;
  }
  return low;
}

function numericReference(values: Float64Array, bins: number): NumericReference {
  const sorted = values.slice().sort();
  const edges: number[] = [];
  for (let i = 1; i < bins; i++) {
    const edge = sorted[Math.min(sorted.length - 1, Math.floor((i * sorted.length) / bins))];
    // An edge equal to the minimum would leave the first bin empty.
    if (edge > sorted[0] && edge !== edges.at(-1)) edges.push(edge);
  }
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (const value of sorted) counts[binIndex(edges, value)] += 1;
  return { kind: 'numeric', edges, proportions: counts.map((c) => c / sorted.length) };
}

function categoricalReference(values: string[], allowed: readonly string[]): CategoricalReference {
  const counts: Record<string, number> = Object.fromEntries(allowed.map((v) => [v, 0]));
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  const proportions: Record<string, number> = {};
  for (const [value, count] of Object.entries(counts)) proportions[value] = count / values.length;
  return { kind: 'categorical', proportions };
}

/** The reference distribution of every feature of `schema` over `rows`. */
export function buildReferenceDistribution(
  schema: FeatureSchema,
  rows: readonly Features[],
  bins = DEFAULT_REFERENCE_BINS,
): ReferenceDistribution {
  const reference: ReferenceDistribution = {};
  if (rows.length === 0) return reference;
  for (const feature of schema) {
    switch (feature.type) {
      case 'number':
      case 'integer':
        reference[feature.name] = numericReference(
          Float64Array.from(rows, (row) => Number(row[feature.name])),
          bins,
        );
        break;
      case 'boolean':
        reference[feature.name] = categoricalReference(
          rows.map((row) => String(row[feature.name])),
          ['false', 'true'],
        );
        break;
      case 'category':
        reference[feature.name] = categoricalReference(
          rows.map((row) => String(row[feature.name])),
          feature.values,
        );
        break;
    }
  }
  return reference;
}
