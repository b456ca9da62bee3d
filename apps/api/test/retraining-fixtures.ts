import { PredictionRecord } from '@app/mle';
import { DemoSalesOptions } from '@app/sales/demo/demo-sales.generator';
import { DemoDataSeeder } from '@app/sales/demo/demo-data.seeder';
import { appendFile, chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createScratchDatabase,
  migrateTestDatabase,
  openTestDataSource,
} from '../../../test/test-database';
import { EXAMPLE_FEATURES as FEATURES } from '../src/predict/dto/predict-request.dto';

/** A scratch database with the migrations and demo sales, for a spec of its own. */
export async function scratchDatabaseWithSales(
  name: string,
  seed: Omit<DemoSalesOptions, 'seed'> & { seed?: number },
): Promise<string> {
  const url = await createScratchDatabase(name);
  await migrateTestDatabase(url);
  const dataSource = await openTestDataSource(url);
  try {
    await new DemoDataSeeder(dataSource).seed({ seed: 42, ...seed });
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

/** Appends hand-made prediction log lines, as another process of the service would write them. */
export async function appendPredictions(
  logDir: string,
  version: string,
  predictions: { inputId: string; prediction: boolean; ts?: Date }[],
  file = 'predictions-testhost-1-2026-01-01.jsonl',
): Promise<void> {
  const lines = predictions.map(({ inputId, prediction, ts }, i) => {
    const record: PredictionRecord = {
      ts: (ts ?? new Date(Date.now() - 3_600_000)).toISOString(),
      requestId: `hand-${inputId}-${i}-${prediction}`,
      inputId,
      features: FEATURES,
      prediction,
      probability: prediction ? 0.9 : 0.1,
      model: 'sales-reorder',
      modelVersion: version,
      latencyMs: 1,
    };
    return `${JSON.stringify(record)}\n`;
  });
  await appendFile(join(logDir, file), lines.join(''));
}
