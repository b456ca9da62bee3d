import { ModelPlugin } from '@app/mle';
import { LabelledTableReader, LabelledTableSql, seedDemoData } from '@app/mle/data';
import { Logger, LoggerService } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource } from 'typeorm';
import { createApp, CreateAppOptions } from '../app.factory';
import { checkDirectories } from '../config/check-directories';
import { Env, loadEnv } from '../config/env.validation';
import { maskSecrets } from '../config/mask-secrets';
import { buildDataSourceOptions } from '../database/data-source.options';
import { DatabaseServer } from '../database/database-server';
import { assertMigrated, runMigrations } from '../database/migrations';
import { createAppLogger } from '../logging/app-logger';
import { SERVED_MODELS } from '../served-models';

/**
 * Migrations first: the embedded (demo) database always, an external one unless
 * MIGRATE_ON_START=false, in which case the app only checks that none is pending (they run as a
 * step of the deployment). Replicas starting together take turns on a PostgreSQL lock, so a
 * migration is applied once and the others find nothing to do. Embedded mode then seeds the demo
 * data of every served plug-in whose tables are empty.
 */
async function prepareDatabase(
  env: Env,
  database: DatabaseServer,
  plugins: readonly ModelPlugin[],
  logger: Logger,
): Promise<void> {
  const dataSource = await new DataSource(buildDataSourceOptions(env, plugins)).initialize();
  try {
    if (!database.isEmbedded && !env.MIGRATE_ON_START) return await assertMigrated(dataSource);
    const { applied, analystPasswordSet } = await runMigrations(dataSource, {
      analystPassword: env.ANALYST_PASSWORD,
      onWait: () => logger.log('Another process is applying migrations: waiting for it'),
    });
    if (applied.length) logger.log(`Applied migrations: ${applied.join(', ')}`);
    if (analystPasswordSet) logger.log('Set the analyst password from ANALYST_PASSWORD');
    if (!database.isEmbedded || env.DEMO_ROWS === 0) return;
    for (const { data, demo } of plugins) {
      if (!data || !demo) continue;
      // The schema is enough to read the tables; the model is not created here.
      const sql = new LabelledTableSql(data.rows, data.labels, []);
      if (!(await new LabelledTableReader(dataSource, sql).isEmpty())) continue;
      const summary = await seedDemoData(dataSource, demo, {
        rows: env.DEMO_ROWS,
        seed: 42,
        now: new Date(),
      });
      logger.log(
        `Seeded ${summary.rows} demo rows into ${data.rows.table} (${summary.labelled} labelled) in ${summary.seconds.toFixed(1)} s`,
      );
    }
  } finally {
    await dataSource.destroy();
  }
}

/**
 * SIGTERM/SIGINT: stop accepting and let in-flight requests finish (Fastify's close), then run
 * the shutdown hooks (the prediction log is flushed and its files closed, connections end), then
 * stop the embedded database, then exit.
 */
function onShutdownSignals(stop: (signal: string) => Promise<void>): void {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      void stop(signal);
    });
  }
}

function banner(env: Env, logger: Logger): void {
  const base = `http://${env.HOST === '0.0.0.0' ? 'localhost' : env.HOST}:${env.PORT}`;
  logger.log(`API          ${base}  (POST /predict, POST /models/<name>/predict)`);
  logger.log(`Models       ${base}/models  (${SERVED_MODELS.length} served)`);
  logger.log(`Docs         ${base}/docs  (OpenAPI: ${base}/docs-json)`);
  logger.log(`Health       ${base}/health/ready`);
  logger.log(`Metrics      ${base}/metrics`);
  logger.log(`Retraining   ${base}/retraining/status`);
  logger.log(
    `Predictions  logged to ${env.PREDICTION_LOG === 'on' ? env.LOG_DIR : '(off: PREDICTION_LOG=off)'}`,
  );
  if (!env.OPS_TOKEN) {
    logger.warn(
      'OPS_TOKEN is not set: POST /models/<name>/reload and the other ops endpoints are disabled.',
    );
  }
}

/**
 * Runs the service in this process: the database (an embedded one unless DATABASE_URL is set),
 * its migrations and demo data, then the HTTP app, until SIGTERM or SIGINT.
 */
export async function serve(
  appLogger: LoggerService,
  options: Omit<CreateAppOptions, 'logger'> = {},
): Promise<void> {
  const env = loadEnv();
  // Before the database: a bad folder is reported at once, not after the embedded server started.
  await checkDirectories(env, { MODEL_DIR: 'write', LOG_DIR: 'write' });
  const logger = new Logger('Bootstrap');
  const database = await DatabaseServer.start(env);
  logger.log(`Database     ${database.description}`);
  let app: NestFastifyApplication | undefined;
  onShutdownSignals(async (signal) => {
    logger.log(`${signal}: finishing in-flight requests, flushing the prediction log, stopping`);
    let code = 0;
    try {
      await app?.getHttpAdapter().getInstance().close();
      await app?.close();
    } catch (error) {
      code = 1;
      logger.error(`Shutdown failed: ${(error as Error).message}`);
    } finally {
      await database.stop();
    }
    logger.log('Stopped');
    // Every stream and connection is closed by now (the prediction log waited for its files),
    // so exiting cannot lose data, and a stray timer cannot keep a stopping container alive.
    process.exit(code);
  });

  try {
    await prepareDatabase(env, database, SERVED_MODELS, logger);
    app = await createApp(env, { ...options, logger: appLogger });
    await app.listen(env.PORT, env.HOST);
  } catch (error) {
    await app?.close().catch(() => undefined);
    await database.stop();
    throw error;
  }
  banner(env, logger);
}

/** Starts the service with the app's logger; a failure is one readable line, never a stack. */
export function main(options: Omit<CreateAppOptions, 'logger'> = {}): void {
  const logger = createAppLogger((process.env.NODE_ENV as Env['NODE_ENV']) ?? 'development');
  Logger.overrideLogger(logger);
  serve(logger, options).catch((error: unknown) => {
    process.stderr.write(
      `\nmle-service could not start: ${maskSecrets(error instanceof Error ? error.message : String(error))}\n`,
    );
    process.exitCode = 1;
  });
}
