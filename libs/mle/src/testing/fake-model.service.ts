import { Injectable } from '@nestjs/common';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Features, FeatureSchema } from '../feature-schema';
import { binaryMetrics } from '../metrics/binary-metrics';
import { FitReport, ModelService, Prediction, TrainingRow } from '../model.service';

export const FAKE_MODEL_FILE = 'fake.json';

/** What a training gives `ModelArtifactStore.save` for a fake model: one row, no reference. */
export const fakeManifestParts = (createdAt = new Date()) => ({
  createdAt: createdAt.toISOString(),
  featureSchema: new FakeModelService().featureSchema,
  training: {
    rows: 1,
    holdoutRows: 1,
    requested: {},
    holdout: binaryMetrics([]),
    fit: { rows: 1 },
    seconds: 0,
  },
  reference: {},
});

/**
 * A tiny, fully predictable model for tests: one feature `score` in [0, 1] and one flag; it
 * predicts `true` when score >= threshold and reports the score as its probability. `fit` sets
 * the threshold to the mean score of the positive rows, so different data give different
 * versions that tests can tell apart.
 */
@Injectable()
export class FakeModelService extends ModelService<{ threshold: number }> {
  readonly name = 'fake-model';
  readonly featureSchema: FeatureSchema = [
    { name: 'score', type: 'number', min: 0, max: 1 },
    { name: 'flag', type: 'boolean' },
    { name: 'colour', type: 'category', values: ['red', 'green', 'blue'] },
  ];
  private state: { threshold: number } | undefined;

  get model(): { threshold: number } | undefined {
    return this.state;
  }

  /** Sets the threshold directly (tests that need a known model without fitting). */
  withThreshold(threshold: number): this {
    this.state = { threshold };
    return this;
  }

  async fit(rows: readonly TrainingRow[]): Promise<FitReport> {
    const positives = rows.filter((row) => row.label).map((row) => row.features.score as number);
    const threshold = positives.length
      ? positives.reduce((sum, score) => sum + score, 0) / positives.length
      : 0.5;
    this.state = { threshold };
    return { rows: rows.length, details: { threshold } };
  }

  predict(inputs: readonly Features[]): Prediction[] {
    const { threshold } = this.required();
    return inputs.map((features) => {
      const score = features.score as number;
      return { prediction: score >= threshold, probability: score };
    });
  }

  async save(dir: string): Promise<void> {
    await writeFile(join(dir, FAKE_MODEL_FILE), JSON.stringify(this.required()));
  }

  async load(dir: string): Promise<void> {
    const parsed = JSON.parse(await readFile(join(dir, FAKE_MODEL_FILE), 'utf8')) as {
      threshold?: unknown;
    };
    if (typeof parsed.threshold !== 'number')
      throw new Error(`${FAKE_MODEL_FILE} has no threshold`);
    this.state = { threshold: parsed.threshold };
  }

  private required(): { threshold: number } {
    if (!this.state) throw new Error('fake-model is not fitted');
    return this.state;
  }
}
