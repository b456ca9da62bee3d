import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A label written without `label_updated_at` gets the time of the write, so an analyst's
 * `UPDATE sales SET reordered = true WHERE …` works instead of breaking the rule that a label and
 * its time come together. A time the writer gives (backdated to when the outcome happened) is kept;
 * a label cleared without touching its time loses the time too. The trigger of
 * 1795720100000-TrackSalesLabelChanges keeps calling this function; `label_changed_at` is unchanged
 * in meaning, and a stamped label carries the same instant in both columns.
 */
export class StampSalesLabelTime1795730200000 implements MigrationInterface {
  name = 'StampSalesLabelTime1795730200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION sales_label_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        written timestamptz := clock_timestamp();
        label_written boolean := TG_OP = 'INSERT' OR NEW.reordered IS DISTINCT FROM OLD.reordered;
        time_written boolean := TG_OP = 'INSERT'
          OR NEW.label_updated_at IS DISTINCT FROM OLD.label_updated_at;
      BEGIN
        IF TG_OP = 'INSERT' THEN
          NEW.label_changed_at := CASE WHEN NEW.reordered IS NULL THEN NULL ELSE written END;
        ELSIF label_written THEN
          NEW.label_changed_at := written;
        ELSE
          NEW.label_changed_at := OLD.label_changed_at;
        END IF;
        IF label_written AND NEW.reordered IS NOT NULL
           AND (NEW.label_updated_at IS NULL OR NOT time_written) THEN
          NEW.label_updated_at := written;
        ELSIF label_written AND NEW.reordered IS NULL AND NOT time_written THEN
          NEW.label_updated_at := NULL;
        END IF;
        RETURN NEW;
      END $$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION sales_label_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          NEW.label_changed_at := CASE WHEN NEW.reordered IS NULL THEN NULL ELSE clock_timestamp() END;
        ELSIF NEW.reordered IS DISTINCT FROM OLD.reordered THEN
          NEW.label_changed_at := clock_timestamp();
        ELSE
          NEW.label_changed_at := OLD.label_changed_at;
        END IF;
        RETURN NEW;
      END $$`);
  }
}
