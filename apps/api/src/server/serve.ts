import { Logger, LoggerService } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import cluster from 'node:cluster';
import { createApp, CreateAppOptions } from '../app.factory';
import { checkDirectories } from '../config/check-directories';
import { Env, loadEnv } from '../config/env.validation';
import { maskSecrets } from '../config/mask-secrets';
import { DatabaseServer } from '../database/database-server';
import { createAppLogger } from '../logging/app-logger';
import { SERVED_MODELS } from '../served-models';
import { banner } from './banner';
import { servePrimary, serveWorker } from './cluster';
import { prepareDatabase } from './prepare-database';
import { closeApp, onShutdownSignals } from './shutdown';

/**
 * Runs the service in this process: the database (an embedded one unless DATABASE_URL is set),
 * its migrations and demo data, then the HTTP app, until SIGTERM or SIGINT.
 */
export async function serve(
  env: Env,
  appLogger: LoggerService,
  options: Omit<CreateAppOptions, 'logger'> = {},
): Promise<void> {
  const logger = new Logger('Bootstrap');
  const database = await DatabaseServer.start(env);
  logger.log(`Database     ${database.description}`);
  let app: NestFastifyApplication | undefined;
  // SIGTERM/SIGINT: the app drains (in-flight requests answered, prediction log flushed and
  // closed), then the embedded database stops, then the process exits.
  onShutdownSignals(async (signal) => {
    const signalledAt = Date.now();
    logger.log(
      `${signal}: finishing in-flight requests, flushing the prediction log, ingesting it, stopping`,
    );
    const code = app ? await closeApp(app, logger, signalledAt) : 0;
    await database.stop();
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

/** One process (WORKERS=1), or the primary of several workers (WORKERS > 1), or one of them. */
async function start(
  appLogger: LoggerService,
  options: Omit<CreateAppOptions, 'logger'>,
): Promise<void> {
  // A worker runs this same script: the options reach its app as they would a single process's.
  if (cluster.isWorker) return serveWorker(appLogger, options);
  const env = loadEnv();
  // Before the database: a bad folder is reported at once, not after the embedded server started.
  await checkDirectories(env, { MODEL_DIR: 'write', LOG_DIR: 'write' });
  return env.WORKERS > 1 ? servePrimary(env, appLogger) : serve(env, appLogger, options);
}

/** Starts the service with the app's logger; a failure is one readable line, never a stack. */
export function main(options: Omit<CreateAppOptions, 'logger'> = {}): void {
  const logger = createAppLogger((process.env.NODE_ENV as Env['NODE_ENV']) ?? 'development');
  Logger.overrideLogger(logger);
  start(logger, options).catch((error: unknown) => {
    process.stderr.write(
      `\nmle-service could not start: ${maskSecrets(error instanceof Error ? error.message : String(error))}\n`,
    );
    process.exitCode = 1;
  });
}
