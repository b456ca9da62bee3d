import type { FeatureSchema, FeatureValue, Features } from '../feature-schema';

/** How one feature becomes columns; the fitted parameters `toJSON` saves. */
export type FeatureEncoding =
  /** (x − mean) / scale, scale being the population standard deviation (1 when that is 0). */
  | {
      readonly name: string;
      readonly type: 'number' | 'integer';
      readonly mean: number;
      readonly scale: number;
    }
  /** 1 for true, 0 for false. */
  | { readonly name: string; readonly type: 'boolean' }
  /** One 0/1 column per value after the first, the reference level that encodes as all zeros. */
  | { readonly name: string; readonly type: 'category'; readonly values: readonly string[] };

export interface FeatureEncoderJson {
  readonly features: readonly FeatureEncoding[];
}

// The hot path's view of an encoding: category values resolved to columns up front.
type EncodingStep =
  | Exclude<FeatureEncoding, { type: 'category' }>
  | {
      readonly name: string;
      readonly type: 'category';
      /** Column of each value relative to the feature's first column; −1 for the reference. */
      readonly columnOf: ReadonlyMap<string, number>;
      readonly width: number;
    };

/**
 * Turns feature objects into design-matrix rows: standardised numbers, 0/1 booleans and one-hot
 * categories (first value dropped). Fitted once on training rows; saved and loaded by JSON.
 */
export class FeatureEncoder {
  /** Column names in encoding order, e.g. `amount`, `isRepeat`, `region=south`. */
  readonly columns: readonly string[];
  private readonly steps: readonly EncodingStep[];

  private constructor(private readonly encodings: readonly FeatureEncoding[]) {
    const columns: string[] = [];
    this.steps = encodings.map((encoding): EncodingStep => {
      if (encoding.type !== 'category') {
        columns.push(encoding.name);
        return encoding;
      }
      // The first value is dropped: a full one-hot set sums to the (unpenalised) intercept's
      // column, so its coefficients would only be pinned down by L2 and drift as l2 → 0.
      const levels = encoding.values.slice(1);
      columns.push(...levels.map((value) => `${encoding.name}=${value}`));
      return {
        name: encoding.name,
        type: 'category',
        columnOf: new Map(encoding.values.map((value, index) => [value, index - 1])),
        width: levels.length,
      };
    });
    this.columns = columns;
  }

  /** Learns each numeric feature's mean and population standard deviation from `rows`. */
  static fit(schema: FeatureSchema, rows: readonly Features[]): FeatureEncoder {
    if (rows.length === 0) throw new RangeError('cannot fit a FeatureEncoder on no rows');
    const encodings = schema.map((spec): FeatureEncoding => {
      switch (spec.type) {
        case 'number':
        case 'integer': {
          const values = rows.map((row) => numberOf(row, spec.name));
          const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
          // Two passes (mean first) rather than E[x²] − mean², which cancels catastrophically.
          const variance =
            values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / values.length;
          const std = Math.sqrt(variance);
          // A constant column encodes as 0 rather than 0/0.
          return { name: spec.name, type: spec.type, mean, scale: std > 0 ? std : 1 };
        }
        case 'boolean':
          return { name: spec.name, type: 'boolean' };
        case 'category':
          return { name: spec.name, type: 'category', values: [...spec.values] };
      }
    });
    return new FeatureEncoder(encodings);
  }

  /**
   * Restores an encoder saved by `toJSON`; it encodes exactly as the saved one did. Throws a
   * RangeError naming the feature when the JSON is not one `toJSON` could have written.
   */
  static fromJSON(json: FeatureEncoderJson): FeatureEncoder {
    const features: unknown = (json as Partial<FeatureEncoderJson> | null)?.features;
    if (!Array.isArray(features)) throw new RangeError('encoder features must be an array');
    (features as unknown[]).forEach(checkEncoding);
    return new FeatureEncoder(json.features.map((encoding) => ({ ...encoding })));
  }

  /** The number of columns a row encodes to. */
  get width(): number {
    return this.columns.length;
  }

  /** Writes the encoded row into `out` from `offset` on, without allocating. */
  encodeInto(features: Features, out: Float64Array, offset = 0): void {
    let column = offset;
    for (const step of this.steps) {
      switch (step.type) {
        case 'number':
        case 'integer':
          out[column++] = (numberOf(features, step.name) - step.mean) / step.scale;
          break;
        case 'boolean':
          out[column++] = booleanOf(features, step.name) ? 1 : 0;
          break;
        case 'category': {
          const value: FeatureValue | undefined = features[step.name];
          const level = typeof value === 'string' ? step.columnOf.get(value) : undefined;
          if (level === undefined) {
            throw new RangeError(
              `feature "${step.name}" has no column for ${JSON.stringify(value)} (unknown category)`,
            );
          }
          out.fill(0, column, column + step.width);
          if (level >= 0) out[column + level] = 1;
          column += step.width;
          break;
        }
      }
    }
  }

  /** Encodes `rows` into a row-major rows × width design matrix. */
  encodeRows(rows: readonly Features[]): Float64Array {
    const matrix = new Float64Array(rows.length * this.width);
    rows.forEach((row, index) => this.encodeInto(row, matrix, index * this.width));
    return matrix;
  }

  toJSON(): FeatureEncoderJson {
    return {
      features: this.encodings.map((encoding) =>
        encoding.type === 'category'
          ? { ...encoding, values: [...encoding.values] }
          : { ...encoding },
      ),
    };
  }
}

const ENCODING_TYPES = new Set(['number', 'integer', 'boolean', 'category']);

function checkEncoding(value: unknown, index: number): asserts value is FeatureEncoding {
  const encoding = (value ?? {}) as Partial<Record<string, unknown>>;
  if (typeof encoding.name !== 'string' || encoding.name === '') {
    throw new RangeError(`encoder features[${index}] has no name`);
  }
  const feature = `feature "${encoding.name}"`;
  if (typeof encoding.type !== 'string' || !ENCODING_TYPES.has(encoding.type)) {
    throw new RangeError(`${feature} has unknown type ${JSON.stringify(encoding.type)}`);
  }
  if (encoding.type === 'number' || encoding.type === 'integer') {
    const { mean, scale } = encoding;
    // typeof first: Number.isFinite(null) is false, but a null must not pass as 0 anywhere.
    if (
      typeof mean !== 'number' ||
      !Number.isFinite(mean) ||
      typeof scale !== 'number' ||
      !(scale > 0 && Number.isFinite(scale))
    ) {
      throw new RangeError(`${feature} needs a finite mean and scale > 0`);
    }
  }
  if (encoding.type === 'category') {
    const { values } = encoding;
    if (
      !Array.isArray(values) ||
      values.length === 0 ||
      !values.every((v) => typeof v === 'string') ||
      new Set(values).size !== values.length
    ) {
      throw new RangeError(`${feature} needs a list of distinct string values`);
    }
  }
}

function numberOf(features: Features, name: string): number {
  const value: FeatureValue | undefined = features[name];
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TypeError(`feature "${name}" must be a finite number`);
  }
  return value;
}

function booleanOf(features: Features, name: string): boolean {
  const value: FeatureValue | undefined = features[name];
  if (typeof value !== 'boolean') throw new TypeError(`feature "${name}" must be a boolean`);
  return value;
}
