import { DemoOptions, Features, ModelPlugin } from '@app/mle';
import { seedDemoData } from '@app/mle/data';
import { PredictionRecord } from '@app/mle/prediction-log';
import { appendFile, chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createScratchDatabase,
  migrateTestDatabase,
  openTestDataSource,
} from '../../../test/test-database';
import { SERVED_MODELS } from '../src/served-models';
import { EXAMPLE_FEATURES as FEATURES, modelName } from './test-app';

/** A scratch database with the migrations and the demo data of every plug-in, for a spec of its own. */
export async function scratchDatabaseWithDemo(
  name: string,
  seed: Omit<DemoOptions, 'seed'> & { seed?: number },
  plugins: readonly ModelPlugin[] = SERVED_MODELS,
): Promise<string> {
  const url = await createScratchDatabase(name);
  await migrateTestDatabase(url, { plugins });
  const dataSource = await openTestDataSource(url, plugins);
  try {
    for (const { demo } of plugins) {
      if (demo) await seedDemoData(dataSource, demo, { seed: 42, ...seed });
    }
  } finally {
    await dataSource.destroy();
  }
  return url;
}

export async function emptyDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  await chmod(dir, 0o755);
  return dir;
}

/**
 * Appends hand-made prediction log lines, as another process of the service would write them:
 * of the default model unless `of` names another (its model name and an input of it). A
 * prediction may bring its own input and probability (a model's real answer to a stored row).
 */
export async function appendPredictions(
  logDir: string,
  version: string,
  predictions: {
    inputId: string;
    prediction: boolean;
    ts?: Date;
    features?: Features;
    probability?: number;
  }[],
  file = 'predictions-testhost-1-2026-01-01.jsonl',
  of: { model: string; features: Features } = { model: modelName(), features: FEATURES },
): Promise<void> {
  const lines = predictions.map(({ inputId, prediction, ts, features, probability }, i) => {
    const record: PredictionRecord = {
      ts: (ts ?? new Date(Date.now() - 3_600_000)).toISOString(),
      requestId: `hand-${inputId}-${i}-${prediction}`,
      inputId,
      features: features ?? of.features,
      prediction,
      probability: probability ?? (prediction ? 0.9 : 0.1),
      model: of.model,
      modelVersion: version,
      latencyMs: 1,
    };
    return `${JSON.stringify(record)}\n`;
  });
  await appendFile(join(logDir, file), lines.join(''));
}
