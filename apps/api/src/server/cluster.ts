import { MetricsRegistry } from '@app/mle/metrics';
import { IngestionScheduler } from '@app/mle/monitoring';
import { INestApplicationContext, Logger, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp, CreateAppOptions } from '../app.factory';
import { WorkerMessage } from '../cluster/cluster.messages';
import { Env, loadEnv } from '../config/env.validation';
import { maskSecrets } from '../config/mask-secrets';
import { DatabaseServer } from '../database/database-server';
import { SERVED_MODELS } from '../served-models';
import { banner } from './banner';
import { prepareDatabase } from './prepare-database';
import { PrimaryModule } from './primary.module';
import { closeApp, onShutdownSignals, SHUTDOWN_INGESTION_DEADLINE_MS } from './shutdown';
import { WorkerPool } from './worker-pool';

/**
 * The primary process of WORKERS > 1. It serves no request: it starts the database (an embedded
 * one unless DATABASE_URL is set) and prepares it once, then ingests the workers' LOG_DIR
 * (`PrimaryModule`) and starts the workers one after another. SIGTERM/SIGINT: every worker
 * drains, then the primary ingests their last lines, then the embedded database stops, then the
 * process exits, with code 0 only when every worker stopped cleanly.
 */
export async function servePrimary(env: Env, appLogger: LoggerService): Promise<void> {
  const logger = new Logger('Bootstrap');
  const database = await DatabaseServer.start(env);
  logger.log(`Database     ${database.description}`);
  const pool = new WorkerPool(env.WORKERS, new Logger('Workers'));
  let context: INestApplicationContext | undefined;
  let stopped: Promise<boolean> | undefined;
  const stopAll = (signalledAt = Date.now()) =>
    (stopped ??= pool.stop().then(async (clean) => {
      context?.get(IngestionScheduler).finishBy(signalledAt + SHUTDOWN_INGESTION_DEADLINE_MS);
      await context
        ?.close()
        .catch((error: Error) => logger.error(`Shutdown failed: ${error.message}`));
      await database.stop();
      return clean;
    }));
  onShutdownSignals(async (signal) => {
    logger.log(
      `${signal}: stopping the workers (each finishes its in-flight requests and flushes its prediction log)`,
    );
    const clean = await stopAll(Date.now());
    logger.log('Stopped');
    process.exit(clean ? 0 : 1);
  });
  pool.onGiveUp((reason) => {
    void stopAll().then(() => {
      process.stderr.write(`\nmle-service could not keep running: ${reason}\n`);
      process.exit(1);
    });
  });

  try {
    await prepareDatabase(env, database, SERVED_MODELS, logger);
    context = await NestFactory.createApplicationContext(PrimaryModule.forRoot(SERVED_MODELS), {
      logger: appLogger,
    });
    pool.mergeMetrics(context.get(MetricsRegistry));
    logger.log(`Starting ${env.WORKERS} workers, one after another`);
    await pool.start();
  } catch (error) {
    await stopAll();
    throw error;
  }
  if (!pool.stopping) banner(env, logger, pool.pids);
}

/**
 * One worker of WORKERS > 1: the HTTP app on the shared port, on the database the primary
 * prepared (no migrations, no demo data, never starting or stopping a database). SIGTERM, from
 * the primary: it drains as a single process does, then exits. A failure to start is reported
 * to the primary, which stops the service with it.
 */
export async function serveWorker(
  appLogger: LoggerService,
  options: Omit<CreateAppOptions, 'logger'>,
): Promise<void> {
  const logger = new Logger('Worker');
  // A Ctrl-C in a terminal reaches every process of the group; the primary stops the workers.
  process.on('SIGINT', () => undefined);
  let app: NestFastifyApplication | undefined;
  onShutdownSignals(async () => process.exit(app ? await closeApp(app, logger) : 0), ['SIGTERM']);

  try {
    const env = loadEnv();
    // The primary ingests the folder the workers share.
    app = await createApp(env, { ...options, ingest: false, logger: appLogger });
    await app.listen(env.PORT, env.HOST);
  } catch (error) {
    await app?.close().catch(() => undefined);
    const reason = maskSecrets(error instanceof Error ? error.message : String(error));
    const message: WorkerMessage = { type: 'mle:start-failed', reason };
    process.send?.(message, undefined, undefined, () => process.exit(1));
  }
}
