import { Features, FeatureSpec, ModelPlugin } from '@app/mle';
import { demoTrainingRows } from '@app/mle/data';
import { buildReferenceDistribution } from '@app/mle/monitoring';
import { binaryMetrics } from '@app/mle/metrics';
import { ModelArtifactStore } from '@app/mle/registry';
import { DEFAULT_MLE_OPTIONS } from '@app/mle/module';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BufferedLogger } from '../../../test/buffered.logger';
import { testDatabaseUrl } from '../../../test/test-database';
import { createApp, CreateAppOptions } from '../src/app.factory';
import { validateEnv } from '../src/config/env.validation';
import { SERVED_MODELS } from '../src/served-models';

export interface TestApp {
  app: NestFastifyApplication;
  modelDir: string;
  logDir: string;
  env: Record<string, string>;
}

/** The app's default model: the first served plug-in. Tests speak of it, not of a domain. */
export const DEFAULT_PLUGIN = SERVED_MODELS[0];

/** A served plug-in's model name (as its class says it). */
export function modelName(plugin: ModelPlugin = DEFAULT_PLUGIN): string {
  return new plugin.model().name;
}

/** Inputs of a plug-in that pass validation: its demo examples. */
export function examplesOf(plugin: ModelPlugin = DEFAULT_PLUGIN): readonly Features[] {
  if (!plugin.demo) throw new Error(`${plugin.model.name} has no demo data: tests need examples`);
  return plugin.demo.examples;
}

/** The default model's first example input. */
export const EXAMPLE_FEATURES = examplesOf()[0];

/** The default model's feature schema. */
export const DEFAULT_SCHEMA = new DEFAULT_PLUGIN.model().featureSchema;

/**
 * The first feature of the default schema of a kind: tests of validation speak of "a bounded
 * number", "an integer", "a boolean", "a category", whatever the model calls them.
 */
export function featureOfKind(kind: 'bounded number' | 'integer' | 'boolean'): FeatureSpec;
export function featureOfKind(kind: 'category'): Extract<FeatureSpec, { type: 'category' }>;
export function featureOfKind(
  kind: 'bounded number' | 'integer' | 'boolean' | 'category',
): FeatureSpec {
  const found = DEFAULT_SCHEMA.find((spec) =>
    kind === 'bounded number'
      ? spec.type === 'number' && spec.min !== undefined && spec.max !== undefined
      : spec.type === kind,
  );
  if (!found) throw new Error(`the default model has no ${kind} feature for this test`);
  return found;
}

/**
 * A MODEL_DIR with a current version of each plug-in's model, fitted on its demo rows in memory
 * (ids 1..n in generation order, as in freshly seeded tables).
 */
export async function modelDirWithModels(
  plugins: readonly ModelPlugin[] = SERVED_MODELS,
): Promise<string> {
  const modelDir = await mkdtemp(join(tmpdir(), 'mle-models-'));
  const store = new ModelArtifactStore({ ...DEFAULT_MLE_OPTIONS, modelDir });
  for (const plugin of plugins) {
    if (!plugin.demo) continue;
    const rows = demoTrainingRows(plugin.demo, {
      rows: 5_000,
      seed: 7,
      now: new Date(Date.UTC(2026, 5, 1)),
    });
    const model = new plugin.model();
    const fit = await model.fit(rows);
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
  }
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
  const modelDir = env.MODEL_DIR ?? (await modelDirWithModels(options.plugins));
  const full = {
    NODE_ENV: 'test',
    DATABASE_URL: testDatabaseUrl(),
    LOG_DIR: logDir,
    MODEL_DIR: modelDir,
    OPS_TOKEN: 'test-ops-token-0123456789',
    // Tests run evaluations themselves; a schedule would catch up at start in every test app.
    EVALUATION_CRON: 'off',
    // Tests that count what an evaluation ingests ingest themselves; the specs of the periodic
    // ingestion set an interval.
    INGEST_INTERVAL: '0',
    // An evaluation's RETRAIN trains nothing unless a spec of the closed loop asks for it.
    RETRAINING_MODE: 'recommend',
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
