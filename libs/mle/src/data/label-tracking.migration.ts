import { QueryRunner } from 'typeorm';
import { DEFAULT_LABEL_CHANGED_AT, sqlIdentifier } from './labelled-table';

/** The role that reads and writes the data tables and nothing more. */
export const ANALYST_ROLE = 'analyst';

/** The labels of a plug-in's table, for the migration helpers below. */
export interface TrackedLabels {
  table: string;
  /** The input id's column. */
  id: string;
  /** The boolean label column (NULL while unknown). */
  label: string;
  /** The column the trigger keeps; `label_changed_at` by default. */
  changedAt?: string;
}

/** A name derived from a table for its trigger, function and indexes: `crm.subs` → `crm_subs`. */
const baseName = (table: string) => table.replace('.', '_');

/**
 * Lets the analyst read and write a data table: SELECT, INSERT, UPDATE, DELETE and nothing
 * more (no TRUNCATE, REFERENCES or TRIGGER). Creates the role (NOLOGIN) if this migration runs
 * before the kit's own; its login is set by `npm run analyst:password`.
 */
export async function grantAnalystWrite(queryRunner: QueryRunner, table: string): Promise<void> {
  await queryRunner.query(`
    DO $$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${ANALYST_ROLE}') THEN
        CREATE ROLE ${ANALYST_ROLE};
      END IF;
    END $$`);
  await queryRunner.query(
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ${sqlIdentifier(table)} TO ${ANALYST_ROLE}`,
  );
}

/**
 * Records every deleted row of a labels table as a withdrawn label (`label_withdrawals`), so
 * that the evaluation stops counting the label it had. The kit's migration
 * `TrackLabelWithdrawals` must run first (plug-in migrations carry later timestamps).
 */
export async function recordLabelWithdrawals(
  queryRunner: QueryRunner,
  { table, id }: Pick<TrackedLabels, 'table' | 'id'>,
): Promise<void> {
  sqlIdentifier(id);
  await queryRunner.query(
    `CREATE TRIGGER ${sqlIdentifier(`${baseName(table)}_label_withdrawn`)}
       AFTER DELETE ON ${sqlIdentifier(table)}
       FOR EACH ROW EXECUTE FUNCTION mle_record_label_withdrawal('${table}', '${id}')`,
  );
}

export async function stopRecordingLabelWithdrawals(
  queryRunner: QueryRunner,
  table: string,
): Promise<void> {
  await queryRunner.query(
    `DROP TRIGGER IF EXISTS ${sqlIdentifier(`${baseName(table)}_label_withdrawn`)} ON ${sqlIdentifier(table)}`,
  );
}

/**
 * The label-change tracking the monitoring relies on, for a plug-in's labels table:
 * - a column (`label_changed_at`) set by a trigger to the database's own time whenever the label
 *   is set, changed or cleared, whatever the writer says (the evaluation reads the labels changed
 *   since its last run instead of joining every prediction with every label);
 * - an index on it, and one on the id as text (predictions are joined on the text id);
 * - deleted rows recorded as withdrawn labels (`recordLabelWithdrawals`).
 */
export async function trackLabelChanges(
  queryRunner: QueryRunner,
  labels: TrackedLabels,
): Promise<void> {
  const table = sqlIdentifier(labels.table);
  const label = sqlIdentifier(labels.label);
  const changedAt = sqlIdentifier(labels.changedAt ?? DEFAULT_LABEL_CHANGED_AT);
  const base = baseName(labels.table);
  await queryRunner.query(`ALTER TABLE ${table} ADD COLUMN ${changedAt} timestamptz`);
  await queryRunner.query(`
    CREATE FUNCTION ${sqlIdentifier(`${base}_label_changed`)}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        NEW.${changedAt} := CASE WHEN NEW.${label} IS NULL THEN NULL ELSE clock_timestamp() END;
      ELSIF NEW.${label} IS DISTINCT FROM OLD.${label} THEN
        NEW.${changedAt} := clock_timestamp();
      ELSE
        NEW.${changedAt} := OLD.${changedAt};
      END IF;
      RETURN NEW;
    END $$`);
  await queryRunner.query(`
    CREATE TRIGGER ${sqlIdentifier(`${base}_label_changed`)} BEFORE INSERT OR UPDATE ON ${table}
    FOR EACH ROW EXECUTE FUNCTION ${sqlIdentifier(`${base}_label_changed`)}()`);
  await queryRunner.query(
    `CREATE INDEX ${sqlIdentifier(`${base}_label_changed_at_idx`)} ON ${table} (${changedAt})
      WHERE ${changedAt} IS NOT NULL`,
  );
  await queryRunner.query(
    `CREATE INDEX ${sqlIdentifier(`${base}_input_id_idx`)} ON ${table} ((${sqlIdentifier(labels.id)}::text))`,
  );
  await recordLabelWithdrawals(queryRunner, labels);
}

/** Undoes `trackLabelChanges` (for a migration's `down`). */
export async function untrackLabelChanges(
  queryRunner: QueryRunner,
  labels: TrackedLabels,
): Promise<void> {
  const table = sqlIdentifier(labels.table);
  const base = baseName(labels.table);
  await stopRecordingLabelWithdrawals(queryRunner, labels.table);
  await queryRunner.query(`DROP INDEX IF EXISTS ${sqlIdentifier(`${base}_input_id_idx`)}`);
  await queryRunner.query(`DROP INDEX IF EXISTS ${sqlIdentifier(`${base}_label_changed_at_idx`)}`);
  await queryRunner.query(`DROP TRIGGER ${sqlIdentifier(`${base}_label_changed`)} ON ${table}`);
  await queryRunner.query(`DROP FUNCTION ${sqlIdentifier(`${base}_label_changed`)}()`);
  await queryRunner.query(
    `ALTER TABLE ${table} DROP COLUMN ${sqlIdentifier(labels.changedAt ?? DEFAULT_LABEL_CHANGED_AT)}`,
  );
}
