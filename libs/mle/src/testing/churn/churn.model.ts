import { Injectable } from '@nestjs/common';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FeatureEncoder, FeatureEncoderJson } from '../../estimators/feature-encoder';
import { fitLogisticRegression, predictProbability } from '../../estimators/logistic-regression';
import { Features, FeatureSchema } from '../../feature-schema';
import { FitReport, ModelService, Prediction, TrainingRow } from '../../model.service';

export const CHURN_PLANS = ['basic', 'standard', 'premium'] as const;

export const CHURN_FEATURE_SCHEMA: FeatureSchema = [
  { name: 'plan', type: 'category', values: CHURN_PLANS },
  { name: 'monthly_fee', type: 'number', min: 0, max: 1_000 },
  { name: 'tenure_months', type: 'integer', min: 0, max: 600 },
  { name: 'support_tickets', type: 'integer', min: 0, max: 1_000 },
  { name: 'autopay', type: 'boolean' },
];

interface ChurnParameters {
  encoder: FeatureEncoderJson;
  intercept: number;
  weights: number[];
}

/**
 * Will the subscriber cancel? A test plug-in's model: logistic regression over the kit's
 * feature encoder (the kit's estimators, reused), to show a second domain beside sales.
 */
@Injectable()
export class ChurnModel extends ModelService<ChurnParameters> {
  readonly name = 'churn';
  readonly featureSchema = CHURN_FEATURE_SCHEMA;
  private parameters: ChurnParameters | undefined;
  private encoder: FeatureEncoder | undefined;
  private weights = new Float64Array(0);

  get model(): ChurnParameters | undefined {
    return this.parameters;
  }

  async fit(rows: readonly TrainingRow[]): Promise<FitReport> {
    const features = rows.map((row) => row.features);
    const encoder = FeatureEncoder.fit(this.featureSchema, features);
    const fit = fitLogisticRegression(
      {
        x: encoder.encodeRows(features),
        y: Uint8Array.from(rows, (row) => (row.label ? 1 : 0)),
        rows: rows.length,
        cols: encoder.width,
      },
      { l2: 1 },
    );
    this.use({ encoder: encoder.toJSON(), intercept: fit.intercept, weights: [...fit.weights] });
    return { rows: rows.length, details: { iterations: fit.iterations } };
  }

  predict(inputs: readonly Features[]): Prediction[] {
    const { encoder, parameters } = this;
    if (!encoder || !parameters) throw new Error('churn has no parameters: fit or load it first');
    const row = new Float64Array(encoder.width);
    return inputs.map((features) => {
      encoder.encodeInto(features, row, 0);
      const probability = predictProbability(this.weights, parameters.intercept, row);
      return { prediction: probability >= 0.5, probability };
    });
  }

  async save(dir: string): Promise<void> {
    await writeFile(join(dir, 'churn.json'), JSON.stringify(this.parameters));
  }

  async load(dir: string): Promise<void> {
    this.use(JSON.parse(await readFile(join(dir, 'churn.json'), 'utf8')) as ChurnParameters);
  }

  private use(parameters: ChurnParameters): void {
    const encoder = FeatureEncoder.fromJSON(parameters.encoder);
    if (parameters.weights.length !== encoder.width) {
      throw new Error(
        `churn.json holds ${parameters.weights.length} weights for ${encoder.width} columns`,
      );
    }
    parameters.weights.forEach((weight, i) => {
      if (!Number.isFinite(weight)) throw new Error(`churn.json weights[${i}] is not a number`);
    });
    this.encoder = encoder;
    this.weights = Float64Array.from(parameters.weights);
    this.parameters = parameters;
  }
}
