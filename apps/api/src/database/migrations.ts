import { DataSource } from 'typeorm';
import { setAnalystPassword } from '../../../../migrations/support/analyst-password';

export interface MigrationRun {
  /** Names of the migrations this process applied. */
  applied: string[];
  /** Whether the analyst password was set from the given one. */
  analystPasswordSet: boolean;
}

export interface MigrationRunOptions {
  /** Set as the analyst role's password once the migrations are applied; unset: left as it is. */
  analystPassword?: string;
}

/** Applies pending migrations, then the analyst password. Used by `npm start` (embedded) and the CLI. */
export async function runMigrations(
  dataSource: DataSource,
  { analystPassword }: MigrationRunOptions = {},
): Promise<MigrationRun> {
  const applied = await dataSource.runMigrations({ transaction: 'each' });
  if (analystPassword) await setAnalystPassword(dataSource, analystPassword);
  return { applied: applied.map((m) => m.name), analystPasswordSet: Boolean(analystPassword) };
}

/** Fails with what to do when the external database has migrations still to apply. */
export async function assertMigrated(dataSource: DataSource): Promise<void> {
  if (await dataSource.showMigrations()) {
    throw new Error(
      'The database has pending migrations. Run `npm run migration:run` (or the compose `migrate` ' +
        'service) against it first.',
    );
  }
}
