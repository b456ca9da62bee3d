import { MIGRATIONS } from '../../../../migrations';
import { ModelPlugin } from '@app/mle';
import { DataSourceOptions } from 'typeorm';
import { Env } from '../config/env.validation';
import { embeddedDatabaseUrl } from './embedded-postgres.server';

export const MIGRATIONS_TABLE = 'migrations';

export type DatabaseEnv = Pick<Env, 'DATABASE_URL' | 'EMBEDDED_PG_DIR' | 'EMBEDDED_PG_PORT'>;

/** The connection URL: DATABASE_URL, or the embedded cluster's once it has been started. */
export function databaseUrl(env: DatabaseEnv): string {
  const url = env.DATABASE_URL ?? embeddedDatabaseUrl(env.EMBEDDED_PG_DIR, env.EMBEDDED_PG_PORT);
  if (!url) {
    throw new Error(
      `DATABASE_URL is not set and no embedded PostgreSQL has been initialised in ${env.EMBEDDED_PG_DIR}. ` +
        'Run `npm start` (or `npm run migration:run`) once to create it, or set DATABASE_URL.',
    );
  }
  return url;
}

/** The kit's migrations and those of the served plug-ins (TypeORM runs them by timestamp). */
export function migrationsOf(plugins: readonly ModelPlugin[]) {
  return [...MIGRATIONS, ...plugins.flatMap((plugin) => plugin.migrations ?? [])];
}

/** The one place TypeORM options are built: the app, the CLI commands and the migrations use it. */
export function buildDataSourceOptions(
  env: DatabaseEnv,
  plugins: readonly ModelPlugin[],
): DataSourceOptions {
  return {
    type: 'postgres',
    url: databaseUrl(env),
    entities: [],
    migrations: migrationsOf(plugins),
    migrationsTableName: MIGRATIONS_TABLE,
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    applicationName: 'mle-service',
    extra: { max: 20, connectionTimeoutMillis: 10_000 },
  };
}
