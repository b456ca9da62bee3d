import { DataSource } from 'typeorm';
import { setAnalystPassword } from '../../../../migrations/support/analyst-password';

/**
 * The advisory lock every process takes before it migrates (replicas at start-up, the migrate
 * command). Advisory locks are per database, so databases of one cluster do not wait for each other.
 */
export const MIGRATION_LOCK_KEY = 1795730200;

export interface MigrationRun {
  /** Names of the migrations this process applied (none when another got there first). */
  applied: string[];
  /** Whether the analyst password was set from the given one. */
  analystPasswordSet: boolean;
}

export interface MigrationRunOptions {
  /** Set as the analyst role's password once the migrations are applied; unset: left as it is. */
  analystPassword?: string;
  /** Called once when another process holds the lock and this one starts waiting for it. */
  onWait?: () => void;
}

/**
 * Runs `work` while holding the migration lock: a transaction-level advisory lock on a connection
 * of its own, held until `work` ends and released by PostgreSQL if the process dies. Being
 * transaction-scoped it also holds through a transaction-pooling PgBouncer.
 */
async function whileLocked<T>(
  dataSource: DataSource,
  work: () => Promise<T>,
  onWait?: () => void,
): Promise<T> {
  const lock = dataSource.createQueryRunner();
  try {
    await lock.startTransaction();
    const [{ locked }] = (await lock.query('SELECT pg_try_advisory_xact_lock($1) AS locked', [
      MIGRATION_LOCK_KEY,
    ])) as { locked: boolean }[];
    if (!locked) {
      onWait?.();
      await lock.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    }
    return await work();
  } finally {
    if (lock.isTransactionActive) await lock.rollbackTransaction().catch(() => undefined);
    await lock.release();
  }
}

/**
 * Applies pending migrations, one process at a time: a second one waits for the first, then finds
 * nothing to do. Used by `npm start`, the migrate command and the other CLI commands.
 */
export async function runMigrations(
  dataSource: DataSource,
  { analystPassword, onWait }: MigrationRunOptions = {},
): Promise<MigrationRun> {
  return whileLocked(
    dataSource,
    async () => {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      if (analystPassword) await setAnalystPassword(dataSource, analystPassword);
      return { applied: applied.map((m) => m.name), analystPasswordSet: Boolean(analystPassword) };
    },
    onWait,
  );
}

/** Reverts the last applied migration, holding the same lock as `runMigrations`. */
export async function revertLastMigration(dataSource: DataSource): Promise<void> {
  await whileLocked(dataSource, () => dataSource.undoLastMigration({ transaction: 'each' }));
}

/** Fails with what to do when the external database has migrations still to apply. */
export async function assertMigrated(dataSource: DataSource): Promise<void> {
  if (await dataSource.showMigrations()) {
    throw new Error(
      'The database has pending migrations. Run `npm run migration:run` (or the compose `migrate` ' +
        'service) against it first, or start with MIGRATE_ON_START=true to apply them at start-up.',
    );
  }
}
