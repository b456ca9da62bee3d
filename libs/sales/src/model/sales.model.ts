import {
  FeatureEncoder,
  FeatureEncoderJson,
  fitLogisticRegression,
  FitReport,
  Features,
  ModelService,
  Prediction,
  predictProbability,
  TrainingRow,
} from '@app/mle';
import { Injectable } from '@nestjs/common';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SALES_FEATURE_SCHEMA } from './sales-features';

export const PARAMETERS_FILE = 'parameters.json';
export const DEFAULT_L2 = 1;

// Prices, tenures and basket sizes are right-skewed over orders of magnitude: the model sees
// log1p of them, so a sale of 5,000 does not weigh like a thousand sales of 5.
const LOG_FEATURES = new Set(['unit_price', 'quantity', 'customer_tenure_days', 'items_in_basket']);

/** The fitted state: the encoder's parameters and the coefficients over its columns. */
export interface SalesModelParameters {
  encoder: FeatureEncoder;
  intercept: number;
  weights: Float64Array;
  l2: number;
}

interface ParametersFile {
  encoder: FeatureEncoderJson;
  columns: string[];
  intercept: number;
  weights: number[];
  l2: number;
}

function transformed(features: Features): Features {
  const out: Record<string, Features[string]> = { ...features };
  for (const name of LOG_FEATURES) out[name] = Math.log1p(features[name] as number);
  return out;
}

function shown(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'missing';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return String(value);
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

// JSON has no NaN, but `1e400` parses as Infinity and Float64Array.from would read null as 0.
function finiteNumber(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new Error(`${PARAMETERS_FILE} ${field} is ${shown(value)}, not a finite number`);
  }
  return value;
}

/**
 * Will the customer order again within 30 days? Logistic regression with L2 regularisation over
 * standardised numeric features (log1p of the skewed ones), 0/1 booleans and one-hot categories,
 * fitted by Newton's method (see logistic-regression.ts).
 */
@Injectable()
export class SalesModel extends ModelService<SalesModelParameters> {
  readonly name = 'sales-reorder';
  readonly featureSchema = SALES_FEATURE_SCHEMA;
  private parameters: SalesModelParameters | undefined;
  // Reused by predict: one row of the design matrix.
  private row = new Float64Array(0);
  /** Strength of the L2 penalty on the weights (the intercept is not penalised). */
  l2 = DEFAULT_L2;

  get model(): SalesModelParameters | undefined {
    return this.parameters;
  }

  async fit(rows: readonly TrainingRow[]): Promise<FitReport> {
    const features = rows.map((row) => transformed(row.features));
    const encoder = FeatureEncoder.fit(this.featureSchema, features);
    const x = encoder.encodeRows(features);
    const y = Uint8Array.from(rows, (row) => (row.label ? 1 : 0));
    const fit = fitLogisticRegression(
      { x, y, rows: rows.length, cols: encoder.width },
      { l2: this.l2 },
    );
    this.use({ encoder, intercept: fit.intercept, weights: fit.weights, l2: this.l2 });
    return {
      rows: rows.length,
      details: {
        algorithm: 'logistic regression, L2, Newton/IRLS',
        l2: this.l2,
        iterations: fit.iterations,
        converged: fit.converged,
        gradientNorm: fit.gradientNorm,
        columns: encoder.columns.length,
      },
    };
  }

  predict(inputs: readonly Features[]): Prediction[] {
    const parameters = this.parameters;
    if (!parameters) throw new Error(`${this.name} has no parameters: fit or load it first`);
    const { encoder, weights, intercept } = parameters;
    const row = this.row;
    return inputs.map((features) => {
      encoder.encodeInto(transformed(features), row, 0);
      const probability = predictProbability(weights, intercept, row);
      return { prediction: probability >= 0.5, probability };
    });
  }

  async save(dir: string): Promise<void> {
    const { encoder, intercept, weights, l2 } = this.required();
    const file: ParametersFile = {
      encoder: encoder.toJSON(),
      columns: [...encoder.columns],
      intercept,
      weights: Array.from(weights),
      l2,
    };
    await writeFile(join(dir, PARAMETERS_FILE), `${JSON.stringify(file, null, 2)}\n`);
  }

  /** Reads `parameters.json`; every field is checked, so a null is refused rather than read as 0. */
  async load(dir: string): Promise<void> {
    const file = JSON.parse(await readFile(join(dir, PARAMETERS_FILE), 'utf8')) as unknown;
    if (typeof file !== 'object' || file === null || Array.isArray(file)) {
      throw new Error(`${PARAMETERS_FILE} must hold an object, got ${shown(file)}`);
    }
    const fields = file as Partial<Record<keyof ParametersFile, unknown>>;
    const encoder = FeatureEncoder.fromJSON(fields.encoder as FeatureEncoderJson);
    const encoded = encoder.toJSON().features.map((f) => `${f.name} (${f.type})`);
    const expected = this.featureSchema.map((f) => `${f.name} (${f.type})`);
    if (encoded.join() !== expected.join()) {
      throw new Error(
        `${PARAMETERS_FILE} encodes ${encoded.join(', ')} but the feature schema has ${expected.join(', ')}`,
      );
    }
    if (!Array.isArray(fields.weights)) {
      throw new Error(`${PARAMETERS_FILE} weights must be an array, got ${shown(fields.weights)}`);
    }
    const weights = Float64Array.from(fields.weights as unknown[], (w, i) =>
      finiteNumber(w, `weights[${i}]`),
    );
    if (weights.length !== encoder.width) {
      throw new Error(
        `${PARAMETERS_FILE} holds ${weights.length} weights for ${encoder.width} columns`,
      );
    }
    const columns = fields.columns;
    if (!Array.isArray(columns) || columns.join('\n') !== encoder.columns.join('\n')) {
      throw new Error(
        `${PARAMETERS_FILE} columns ${JSON.stringify(columns)} are not the encoder's ${JSON.stringify(encoder.columns)}`,
      );
    }
    const intercept = finiteNumber(fields.intercept, 'intercept');
    const l2 = finiteNumber(fields.l2, 'l2');
    this.use({ encoder, intercept, weights, l2 });
  }

  private use(parameters: SalesModelParameters): void {
    this.row = new Float64Array(parameters.encoder.width);
    this.parameters = parameters;
  }

  private required(): SalesModelParameters {
    if (!this.parameters) throw new Error(`${this.name} has no parameters: fit or load it first`);
    return this.parameters;
  }
}
