import { TrainingRow } from '@app/mle';
import {
  binaryMetrics,
  demoTrainingRows,
  findPredictionFailure,
  isHoldout,
} from '@app/mle/testing';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { salesDemo } from '../demo/sales.demo';
import { PARAMETERS_FILE, SalesModel } from './sales.model';

const now = new Date(Date.UTC(2026, 2, 1));
const driftFrom = new Date(Date.UTC(2026, 0, 1));

function accuracy(model: SalesModel, rows: readonly TrainingRow[]): number {
  const predictions = model.predict(rows.map((r) => r.features));
  return binaryMetrics(
    rows.map((r, i) => ({ predicted: predictions[i].prediction, actual: r.label })),
  ).accuracy;
}

describe(SalesModel.name, () => {
  const rows = demoTrainingRows(salesDemo, { rows: 20_000, seed: 42, now, driftFrom });
  const before = rows.filter((r) => r.at < driftFrom);
  const after = rows.filter((r) => r.at >= driftFrom);
  const train = before.filter((r) => !isHoldout(r.id, 0.2));
  const holdout = before.filter((r) => isHoldout(r.id, 0.2));
  let model: SalesModel;
  let dir: string;

  beforeAll(async () => {
    model = new SalesModel();
    await model.fit(train);
    dir = await mkdtemp(join(tmpdir(), 'sales-model-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('should reach at least 0.80 holdout accuracy on pre-drift demo data', () => {
    expect(accuracy(model, holdout)).toBeGreaterThanOrEqual(0.8);
  });

  it('should fall below 0.70 on rows after the drift', () => {
    expect(accuracy(model, after)).toBeLessThan(0.7);
  });

  it('should report what it fitted', async () => {
    const report = await new SalesModel().fit(train.slice(0, 2_000));
    expect(report).toMatchObject({ rows: 2_000, details: { converged: true } });
  });

  it('should give identical predictions after a save and load round trip', async () => {
    await model.save(dir);
    const loaded = new SalesModel();
    await loaded.load(dir);
    const inputs = holdout.slice(0, 500).map((r) => r.features);
    expect(loaded.predict(inputs)).toEqual(model.predict(inputs));
  });

  it('should answer a batch in input order with probabilities in [0, 1]', () => {
    const inputs = holdout.slice(0, 50).map((r) => r.features);
    const batch = model.predict(inputs);
    const oneByOne = inputs.map((features) => model.predict([features])[0]);
    expect(batch).toEqual(oneByOne);
    expect(batch.every((p) => p.probability >= 0 && p.probability <= 1)).toBe(true);
    expect(batch.every((p) => p.prediction === p.probability >= 0.5)).toBe(true);
  });

  it('should predict every value and bound of its schema after a save and load round trip', async () => {
    await model.save(dir);
    const loaded = new SalesModel();
    await loaded.load(dir);

    expect(findPredictionFailure(loaded)).toBeUndefined();
  });

  it('should refuse parameters whose weights do not fit the encoder', async () => {
    await model.save(dir);
    const file = JSON.parse(await readFile(join(dir, PARAMETERS_FILE), 'utf8')) as {
      weights: number[];
    };
    file.weights.pop();
    await writeFile(join(dir, PARAMETERS_FILE), JSON.stringify(file));
    await expect(new SalesModel().load(dir)).rejects.toThrow(/weights for \d+ columns/);
  });

  type ParametersFile = {
    encoder: { features: Record<string, unknown>[] };
    columns: unknown[];
    intercept: unknown;
    weights: unknown;
    l2: unknown;
  };

  it.each<[string, (file: ParametersFile) => void, RegExp]>([
    [
      'a null weight',
      (file) => ((file.weights as unknown[])[2] = null),
      /weights\[2\] is null, not a finite number/,
    ],
    [
      'a weight written as a string',
      (file) => ((file.weights as unknown[])[0] = '0.5'),
      /weights\[0\] is a string, not a finite number/,
    ],
    [
      'weights that are not an array',
      (file) => (file.weights = { 0: 1 }),
      /weights must be an array/,
    ],
    ['a null intercept', (file) => (file.intercept = null), /intercept is null/],
    ['a null l2', (file) => (file.l2 = null), /l2 is null/],
    [
      "columns that are not the encoder's",
      (file) => file.columns.reverse(),
      /columns .* are not the encoder's/,
    ],
    [
      "an encoder without one of the schema's features",
      (file) => {
        file.encoder.features = file.encoder.features.filter((f) => f.name !== 'promo');
        file.columns = file.columns.filter((c) => c !== 'promo');
        file.weights = (file.weights as unknown[]).slice(1);
      },
      /encodes .* but the feature schema has .*promo/,
    ],
  ])('should refuse parameters with %s rather than read them', async (_, damage, message) => {
    // Arrange
    await model.save(dir);
    const path = join(dir, PARAMETERS_FILE);
    const file = JSON.parse(await readFile(path, 'utf8')) as ParametersFile;
    damage(file);
    await writeFile(path, JSON.stringify(file));

    // Act
    const load = new SalesModel().load(dir);

    // Assert
    await expect(load).rejects.toThrow(message);
  });

  it('should refuse to predict before it is fitted or loaded', () => {
    expect(() => new SalesModel().predict([holdout[0].features])).toThrow(/fit or load it first/);
  });
});
