import { ModelRegistry } from '@app/mle/registry';
import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { checkDirectories, DirectorySetting, DirectoryUse } from '../config/check-directories';
import { Env, loadEnv } from '../config/env.validation';
import { maskSecrets } from '../config/mask-secrets';
import { DatabaseServer } from '../database/database-server';
import { assertMigrated, runMigrations } from '../database/migrations';
import { SERVED_MODELS } from '../served-models';
import { CommandModule } from './command.module';

export interface CommandContext {
  env: Env;
  /** The command's one Nest application context: configuration, database and the kit. */
  app: INestApplicationContext;
  /** Its one connection pool. */
  dataSource: DataSource;
  database: DatabaseServer;
  registry: ModelRegistry;
}

export class UsageError extends Error {}

/**
 * Runs a command-line tool inside one Nest application context (one validated configuration,
 * one database connection pool, the kit): starts the embedded server when DATABASE_URL is unset
 * (and applies migrations there, as `npm start` does), checks an external one is migrated, and
 * always closes what it opened. Errors end the process with exit code 1 and one readable
 * message; usage errors with code 2.
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
  let app: INestApplicationContext | undefined;
  try {
    const env = loadEnv();
    await checkDirectories(env, directories);
    database = await DatabaseServer.start(env);
    app = await NestFactory.createApplicationContext(CommandModule.forRoot(SERVED_MODELS), {
      logger: ['error', 'warn'],
    });
    const dataSource = app.get(DataSource);
    if (migrate) {
      if (database.isEmbedded) await runMigrations(dataSource);
      else await assertMigrated(dataSource);
    }
    await command({ env, app, dataSource, database, registry: app.get(ModelRegistry) });
  } catch (error) {
    process.exitCode = error instanceof UsageError ? 2 : 1;
    const message = maskSecrets(error instanceof Error ? error.message : String(error));
    process.stderr.write(`\n${name} failed: ${message}\n`);
  } finally {
    await app?.close().catch(() => undefined);
    await database?.stop().catch(() => undefined);
  }
}

/** The model a `--model` option names (the default model when none), or a usage error. */
export function modelNamed(registry: ModelRegistry, name: string | undefined, usage: string) {
  if (name === undefined) return registry.first;
  if (!registry.names.includes(name)) {
    throw new UsageError(
      `--model must name a served model (${registry.names.join(', ')}), got "${name.slice(0, 64)}". ${usage}`,
    );
  }
  return registry.get(name);
}
