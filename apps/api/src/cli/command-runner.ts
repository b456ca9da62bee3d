import { DataSource } from 'typeorm';
import { checkDirectories, DirectorySetting, DirectoryUse } from '../config/check-directories';
import { Env, loadEnv } from '../config/env.validation';
import { maskSecrets } from '../config/mask-secrets';
import { buildDataSourceOptions } from '../database/data-source.options';
import { DatabaseServer } from '../database/database-server';
import { assertMigrated, runMigrations } from '../database/migrations';

export interface CommandContext {
  env: Env;
  dataSource: DataSource;
  database: DatabaseServer;
}

export class UsageError extends Error {}

/**
 * Runs a command-line tool against the configured database: starts the embedded server when
 * DATABASE_URL is unset (and applies migrations there, as `npm start` does), checks an external
 * one is migrated, and always closes what it opened. Errors end the process with exit code 1 and
 * one readable message; usage errors with code 2.
 */
export async function runCommand(
  name: string,
  command: (context: CommandContext) => Promise<void>,
  {
    migrate = true,
    directories = {},
  }: {
    migrate?: boolean;
    /** Folders the command uses, checked before the database is touched. */
    directories?: Partial<Record<DirectorySetting, DirectoryUse>>;
  } = {},
): Promise<void> {
  let database: DatabaseServer | undefined;
  let dataSource: DataSource | undefined;
  try {
    const env = loadEnv();
    await checkDirectories(env, directories);
    database = await DatabaseServer.start(env);
    dataSource = await new DataSource(buildDataSourceOptions(env)).initialize();
    if (migrate) {
      if (database.isEmbedded) await runMigrations(dataSource);
      else await assertMigrated(dataSource);
    }
    await command({ env, dataSource, database });
  } catch (error) {
    process.exitCode = error instanceof UsageError ? 2 : 1;
    const message = maskSecrets(error instanceof Error ? error.message : String(error));
    process.stderr.write(`\n${name} failed: ${message}\n`);
  } finally {
    await dataSource?.destroy().catch(() => undefined);
    await database?.stop().catch(() => undefined);
  }
}
