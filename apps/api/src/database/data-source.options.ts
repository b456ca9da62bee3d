import { MIGRATIONS } from '../../../../migrations';
import { Sale } from '@app/sales';
import { DataSourceOptions } from 'typeorm';
import { Env } from '../config/env.validation';
import { embeddedDatabaseUrl } from './embedded-postgres.server';

export const MIGRATIONS_TABLE = 'migrations';
export const ENTITIES = [Sale];

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

/** The one place TypeORM options are built: the app, the CLI commands and the migrations use it. */
export function buildDataSourceOptions(env: DatabaseEnv): DataSourceOptions {
  return {
    type: 'postgres',
    url: databaseUrl(env),
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: MIGRATIONS_TABLE,
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    applicationName: 'mle-service',
    extra: { max: 20, connectionTimeoutMillis: 10_000 },
  };
}
