import { demoTrainingRows } from '@app/mle/data';
import { MetricsRegistry, MleMetrics } from '@app/mle/metrics';
import { buildReferenceDistribution, PredictionLogIngester } from '@app/mle/monitoring';
import { PredictionLogWriter } from '@app/mle/prediction-log';
import { chmod, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../apps/api/src/database/data-source.options';
import { EmbeddedPostgresServer } from '../apps/api/src/database/embedded-postgres.server';
import { runMigrations } from '../apps/api/src/database/migrations';
import { SERVED_MODELS } from '../apps/api/src/served-models';
import { freePort } from './free-port';
import { median } from './median';

// npm run bench:ingestion — what one replica's periodic ingestion sustains: BENCH_LINES
// prediction lines written by the service's own PredictionLogWriter (rotated at 10 MB, rotated
// files gzipped), then ingested into an embedded PostgreSQL as a tick does (COPY, checkpoints,
// drift and score counts by the version's training reference), BENCH_RUNS times from an empty
// table; the median lines/s is printed, and the time of a tick that finds nothing new.
const LINES = Number(process.env.BENCH_LINES ?? 200_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const PLUGIN = SERVED_MODELS[0];
const VERSION = 'bench-version';

/** Writes the lines through the writer as the interceptor hands it records: a batch per turn. */
async function writeLog(dir: string): Promise<void> {
  const writer = new PredictionLogWriter(
    { enabled: true, dir, maxSize: '10m', retentionDays: 30 },
    new MleMetrics(new MetricsRegistry()),
  );
  const model = new PLUGIN.model().name;
  const examples = PLUGIN.demo?.examples ?? [];
  const now = Date.now();
  for (let i = 0; i < LINES; i += 100) {
    const records = Array.from({ length: Math.min(100, LINES - i) }, (_, j) => ({
      ts: new Date(now - ((i + j) % 86_400) * 1000).toISOString(),
      requestId: `bench-${i + j}`,
      inputId: String(i + j),
      features: examples[(i + j) % examples.length],
      prediction: (i + j) % 3 !== 0,
      probability: ((i + j) % 100) / 100,
      model,
      modelVersion: VERSION,
      latencyMs: 0.4,
    }));
    writer.write(records);
    await new Promise((done) => setImmediate(done));
  }
  await writer.close();
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'mle-bench-ingest-'));
  await chmod(work, 0o711);
  const logDir = join(work, 'logs');
  await mkdir(logDir);
  const port = await freePort();
  const database = await EmbeddedPostgresServer.start({ dir: join(work, 'postgres'), port });
  const dataSource = await new DataSource(
    buildDataSourceOptions(
      { DATABASE_URL: database.url, EMBEDDED_PG_DIR: 'unused', EMBEDDED_PG_PORT: 0 },
      SERVED_MODELS,
    ),
  ).initialize();
  try {
    await runMigrations(dataSource);
    process.stderr.write(`Writing ${LINES.toLocaleString('en-US')} prediction lines…\n`);
    await writeLog(logDir);
    const files = (await readdir(logDir)).filter((f) => f.startsWith('predictions-'));
    const model = new PLUGIN.model();
    const rows = demoTrainingRows(PLUGIN.demo!, { rows: 5_000, seed: 7, now: new Date() });
    const reference = buildReferenceDistribution(
      model.featureSchema,
      rows.map((r) => r.features),
    );
    const ingester = new PredictionLogIngester(dataSource, {
      enabled: true,
      dir: logDir,
      maxSize: '10m',
      retentionDays: 30,
    });
    const rates: number[] = [];
    const idle: number[] = [];
    for (let run = 1; run <= RUNS; run++) {
      await dataSource.query(
        'TRUNCATE predictions, prediction_log_checkpoints, prediction_feature_counts',
      );
      await dataSource.query('VACUUM ANALYZE predictions');
      const summary = await ingester.ingest(undefined, () => reference);
      if (summary.inserted !== LINES) {
        throw new Error(`run ${run} loaded ${summary.inserted} of ${LINES} lines`);
      }
      rates.push(LINES / summary.seconds);
      const again = await ingester.ingest(undefined, () => reference);
      idle.push(again.seconds);
      process.stderr.write(
        `run ${run}: ${LINES.toLocaleString('en-US')} lines in ${summary.seconds.toFixed(2)} s ` +
          `(${Math.round(LINES / summary.seconds).toLocaleString('en-US')} lines/s); ` +
          `a tick with nothing new ${(again.seconds * 1000).toFixed(1)} ms\n`,
      );
    }
    process.stdout.write(
      `Ingestion of ${LINES.toLocaleString('en-US')} lines in ${files.length} files ` +
        `(median of ${RUNS} runs): ${Math.round(median(rates)).toLocaleString('en-US')} lines/s; ` +
        `a tick with nothing new: ${(median(idle) * 1000).toFixed(1)} ms\n`,
    );
  } finally {
    await dataSource.destroy();
    await database.stop();
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:ingestion failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
