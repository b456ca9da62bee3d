import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When each sale's label last changed, kept by the database itself: `label_changed_at` is set by
 * a trigger whenever `reordered` is set, changed or cleared, whatever the writer puts in
 * `label_updated_at` (which may be backdated to when the outcome happened). The retraining
 * evaluation reads the labels changed since its last run instead of joining every prediction
 * with every sale, so a label that arrives late is counted the next night.
 */
export class TrackSalesLabelChanges1795720100000 implements MigrationInterface {
  name = 'TrackSalesLabelChanges1795720100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE sales ADD COLUMN label_changed_at timestamptz`);
    await queryRunner.query(
      `UPDATE sales SET label_changed_at = label_updated_at WHERE reordered IS NOT NULL`,
    );
    await queryRunner.query(`
      CREATE FUNCTION sales_label_changed() RETURNS trigger LANGUAGE plpgsql AS $$
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
    await queryRunner.query(`
      CREATE TRIGGER sales_label_changed BEFORE INSERT OR UPDATE ON sales
      FOR EACH ROW EXECUTE FUNCTION sales_label_changed()`);
    // The labels changed since a time, and a label by its input id (the evaluation's text key).
    await queryRunner.query(
      `CREATE INDEX sales_label_changed_at_idx ON sales (label_changed_at) WHERE label_changed_at IS NOT NULL`,
    );
    await queryRunner.query(`CREATE INDEX sales_input_id_idx ON sales ((id::text))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX sales_input_id_idx`);
    await queryRunner.query(`DROP INDEX sales_label_changed_at_idx`);
    await queryRunner.query(`DROP TRIGGER sales_label_changed ON sales`);
    await queryRunner.query(`DROP FUNCTION sales_label_changed()`);
    await queryRunner.query(`ALTER TABLE sales DROP COLUMN label_changed_at`);
  }
}
