import { Features, FeatureSchema, FeatureValue, NumericFeature } from '../feature-schema';

interface NumericProbe {
  typical: number;
  extremes: number[];
}

const finite = (bound: number | undefined) =>
  bound !== undefined && Number.isFinite(bound) ? bound : undefined;

function numericProbe(spec: NumericFeature): NumericProbe {
  let min = finite(spec.min);
  let max = finite(spec.max);
  if (spec.type === 'integer') {
    // The validator takes integers only: the extremes are the integers just inside the bounds.
    min = min === undefined ? undefined : Math.ceil(min);
    max = max === undefined ? undefined : Math.floor(max);
  }
  if (min !== undefined && max !== undefined && min > max) {
    throw new RangeError(
      `feature "${spec.name}" lets no value through: no ${spec.type} lies between ${spec.min} and ${spec.max}`,
    );
  }
  // Halves first: (min + max) / 2 overflows to Infinity for the largest numbers.
  let typical = min !== undefined && max !== undefined ? min / 2 + max / 2 : (min ?? max ?? 0);
  if (spec.type === 'integer')
    typical = Math.min(Math.max(Math.floor(typical), min ?? -Infinity), max ?? Infinity);
  const extremes = [...new Set([min, max])].filter(
    (bound): bound is number => bound !== undefined && bound !== typical,
  );
  return { typical, extremes };
}

/**
 * Inputs that together take every value and bound a feature schema lets through: every category
 * value, both booleans, and each numeric feature at its minimum and maximum (a side without a
 * bound is probed at a typical value only). A few rows cover the categories and booleans, cycling
 * through their values; then one row per extreme, which differs from the first row in that one
 * feature. Every input passes the schema's validator. Throws a RangeError when a feature lets no
 * value through (a category without values, bounds that exclude every number).
 */
export function probeInputs(schema: FeatureSchema): Features[] {
  let coverRows = 1;
  for (const spec of schema) {
    if (spec.type === 'boolean') coverRows = Math.max(coverRows, 2);
    if (spec.type === 'category') {
      if (spec.values.length === 0) {
        throw new RangeError(
          `feature "${spec.name}" lets no value through: it is a category with no values`,
        );
      }
      coverRows = Math.max(coverRows, spec.values.length);
    }
  }
  const numeric = new Map<string, NumericProbe>();
  for (const spec of schema) {
    if (spec.type === 'number' || spec.type === 'integer')
      numeric.set(spec.name, numericProbe(spec));
  }

  const rows: Features[] = [];
  for (let i = 0; i < coverRows; i++) {
    const row: Record<string, FeatureValue> = {};
    for (const spec of schema) {
      switch (spec.type) {
        case 'number':
        case 'integer':
          row[spec.name] = numeric.get(spec.name)!.typical;
          break;
        case 'boolean':
          row[spec.name] = i % 2 === 1;
          break;
        case 'category':
          row[spec.name] = spec.values[i % spec.values.length];
          break;
      }
    }
    rows.push(row);
  }
  for (const [name, { extremes }] of numeric) {
    for (const extreme of extremes) rows.push({ ...rows[0], [name]: extreme });
  }
  return rows;
}
