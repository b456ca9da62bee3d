import {
  ModelArtifactStore,
  binaryMetrics,
  buildReferenceDistribution,
  DEFAULT_MLE_OPTIONS,
  TrainingRow,
} from '@app/mle';
import { generateDemoSales } from '@app/sales/demo/demo-sales.generator';
import { SalesModel } from '@app/sales/model/sales.model';
import { saleFeatures } from '@app/sales/model/sales-features';
import { Sale } from '@app/sales/sale.entity';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BufferedLogger } from '../../../test/buffered.logger';
import { testDatabaseUrl } from '../../../test/test-database';
import { createApp, CreateAppOptions } from '../src/app.factory';
import { validateEnv } from '../src/config/env.validation';

export interface TestApp {
  app: NestFastifyApplication;
  modelDir: string;
  logDir: string;
  env: Record<string, string>;
}

/** Demo sales as training rows (ids 1..n in generation order). */
export function demoTrainingRows(rows: number, seed = 7): TrainingRow[] {
  const out: TrainingRow[] = [];
  let id = 0;
  for (const row of generateDemoSales({ rows, seed, now: new Date(Date.UTC(2026, 5, 1)) })) {
    id += 1;
    if (row.reordered === null) continue;
    const sale = { ...row, id: String(id), customerId: String(row.customerId) } as Sale;
    out.push({ id: sale.id, features: saleFeatures(sale), label: row.reordered, at: row.soldAt });
  }
  return out;
}

/** A MODEL_DIR with a current version of the sales model, fitted on demo rows. */
export async function modelDirWithSalesModel(): Promise<string> {
  const modelDir = await mkdtemp(join(tmpdir(), 'mle-models-'));
  const rows = demoTrainingRows(5_000);
  const model = new SalesModel();
  const fit = await model.fit(rows);
  const store = new ModelArtifactStore({ ...DEFAULT_MLE_OPTIONS, modelDir });
  const manifest = await store.save(model, {
    createdAt: new Date().toISOString(),
    featureSchema: model.featureSchema,
    training: {
      rows: rows.length,
      holdoutRows: 0,
      requested: {},
      holdout: binaryMetrics([]),
      fit,
      seconds: 0,
    },
    reference: buildReferenceDistribution(
      model.featureSchema,
      rows.map((r) => r.features),
    ),
  });
  await store.promote(model.name, manifest.version);
  return modelDir;
}

/**
 * The real app (as main.ts builds it) on the suite's database, with its own log and model
 * folders. The environment variables are set while the app is created, then restored. It logs
 * to a `BufferedLogger`: what it logs is printed only when the test fails.
 */
export async function createTestApp(
  env: Record<string, string> = {},
  options: CreateAppOptions = {},
): Promise<TestApp> {
  const logDir = env.LOG_DIR ?? (await mkdtemp(join(tmpdir(), 'mle-logs-')));
  const modelDir = env.MODEL_DIR ?? (await modelDirWithSalesModel());
  const full = {
    NODE_ENV: 'test',
    DATABASE_URL: testDatabaseUrl(),
    LOG_DIR: logDir,
    MODEL_DIR: modelDir,
    OPS_TOKEN: 'test-ops-token-0123456789',
    // Tests run evaluations themselves; a schedule would catch up at start in every test app.
    EVALUATION_CRON: 'off',
    ...env,
  };
  const previous = Object.fromEntries(Object.keys(full).map((key) => [key, process.env[key]]));
  Object.assign(process.env, full);
  for (const [key, value] of Object.entries(env)) if (value === '') delete process.env[key];
  try {
    const app = await createApp(validateEnv(process.env), {
      logger: new BufferedLogger(),
      ...options,
    });
    return { app, modelDir, logDir, env: full };
  } finally {
    // The app has read its settings; the next app of the spec starts from the same environment.
    for (const [key, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}
