import { DemoDataSeeder } from '@app/sales/demo/demo-data.seeder';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource } from 'typeorm';
import { AppModule } from './app.module';
import { Env, EnvValidationError, loadEnv } from './config/env.validation';
import { buildDataSourceOptions } from './database/data-source.options';
import { DatabaseServer } from './database/database-server';
import { assertMigrated, runMigrations } from './database/migrations';

const logger = new Logger('Bootstrap');

/**
 * Embedded (demo) mode prepares its own database: migrations, then demo data when `sales` is
 * empty. Against an external database the app only checks that migrations have been applied:
 * they run once, as a step of the deployment, never in every replica.
 */
async function prepareDatabase(env: Env, database: DatabaseServer): Promise<void> {
  const dataSource = await new DataSource(buildDataSourceOptions(env)).initialize();
  try {
    if (!database.isEmbedded) return await assertMigrated(dataSource);
    const applied = await runMigrations(dataSource);
    if (applied.length) logger.log(`Applied migrations: ${applied.join(', ')}`);
    const [{ count }] = await dataSource.query<{ count: number }[]>(
      `SELECT count(*)::int AS count FROM sales`,
    );
    if (count === 0 && env.DEMO_ROWS > 0) {
      const summary = await new DemoDataSeeder(dataSource).seed({
        rows: env.DEMO_ROWS,
        seed: 42,
        now: new Date(),
      });
      logger.log(
        `Seeded ${summary.rows} demo sales (${summary.labelled} labelled) in ${summary.seconds.toFixed(1)} s`,
      );
    }
  } finally {
    await dataSource.destroy();
  }
}

async function bootstrap(): Promise<void> {
  const env = loadEnv();
  const database = await DatabaseServer.start(env);
  logger.log(`Database: ${database.description}`);
  let app: NestFastifyApplication | undefined;
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.log(`${signal} received: finishing in-flight requests, then stopping`);
    await app?.close();
    await database.stop();
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void shutdown(signal));
  }

  try {
    await prepareDatabase(env, database);
    app = await NestFactory.create<NestFastifyApplication>(
      AppModule.forRoot(),
      new FastifyAdapter(),
    );
    await app.listen(env.PORT, env.HOST);
  } catch (error) {
    await app?.close().catch(() => undefined);
    await database.stop();
    throw error;
  }
  const base = `http://${env.HOST === '0.0.0.0' ? 'localhost' : env.HOST}:${env.PORT}`;
  logger.log(`API listening on ${base}`);
  logger.log(`Health: ${base}/health/ready`);
}

bootstrap().catch((error: unknown) => {
  const message =
    error instanceof EnvValidationError || error instanceof Error ? error.message : String(error);
  process.stderr.write(`\nmle-service could not start: ${message}\n`);
  process.exitCode = 1;
});
