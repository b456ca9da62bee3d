import { DataSource } from 'typeorm';

/** Applies pending migrations; returns their names. Used by `npm start` (embedded) and the CLI. */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  const applied = await dataSource.runMigrations({ transaction: 'each' });
  return applied.map((migration) => migration.name);
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
