import { Client } from 'pg';
import { DataSource, DataSourceOptions } from 'typeorm';
import { ModelPlugin } from '@app/mle';
import { buildDataSourceOptions } from '../apps/api/src/database/data-source.options';
import { SERVED_MODELS } from '../apps/api/src/served-models';
import { runMigrations } from '../apps/api/src/database/migrations';

/** The suite's database, set by the global setup. */
export function testDatabaseUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set: run the tests through `npm test`.');
  return url;
}

/** Options for a data source on `url` with the migrations of `plugins`, built by the app's own function. */
export function testDataSourceOptions(
  url = testDatabaseUrl(),
  plugins: readonly ModelPlugin[] = SERVED_MODELS,
) {
  return buildDataSourceOptions(
    { DATABASE_URL: url, EMBEDDED_PG_DIR: 'unused', EMBEDDED_PG_PORT: 0 },
    plugins,
  );
}

export async function openTestDataSource(
  url = testDatabaseUrl(),
  plugins: readonly ModelPlugin[] = SERVED_MODELS,
): Promise<DataSource> {
  return new DataSource(testDataSourceOptions(url, plugins)).initialize();
}

/**
 * Applies the migrations (all, or the first few of `migrations`) as the app does, and sets the
 * analyst password from ANALYST_PASSWORD.
 */
export async function migrateTestDatabase(
  url: string,
  {
    reset = false,
    migrations,
    plugins = SERVED_MODELS,
  }: {
    reset?: boolean;
    migrations?: DataSourceOptions['migrations'];
    /** Whose migrations to apply besides the kit's: the served plug-ins unless told. */
    plugins?: readonly ModelPlugin[];
  } = {},
): Promise<void> {
  if (reset) {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      await client.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
    } finally {
      await client.end();
    }
  }
  const options = testDataSourceOptions(url, plugins);
  const dataSource = await new DataSource({
    ...options,
    migrations: migrations ?? options.migrations,
  }).initialize();
  try {
    // The analyst password is set after the migrations, as `npm run migration:run` does.
    // Specs migrate their databases side by side, and the analyst role is shared by all of a
    // server's databases: two ALTER ROLEs at once fail one of them, whose transaction rolls
    // back whole and can run again.
    for (let attempt = 1; ; attempt++) {
      try {
        await runMigrations(dataSource, { analystPassword: process.env.ANALYST_PASSWORD });
        return;
      } catch (error) {
        if (attempt >= 5 || !/tuple concurrently updated/.test(String(error))) throw error;
        await new Promise((done) => setTimeout(done, 50 * attempt));
      }
    }
  } finally {
    await dataSource.destroy();
  }
}

/** Creates an empty database beside the suite's one and returns its URL (migration tests). */
export async function createScratchDatabase(name: string): Promise<string> {
  const admin = new Client({ connectionString: testDatabaseUrl() });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(testDatabaseUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

export async function dropScratchDatabase(name: string): Promise<void> {
  const admin = new Client({ connectionString: testDatabaseUrl() });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/** A URL that logs in as `role` on the suite's database. */
export function urlAs(role: string, password: string, url = testDatabaseUrl()): string {
  const as = new URL(url);
  as.username = role;
  as.password = password;
  return as.toString();
}
