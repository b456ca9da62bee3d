import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Withdrawn labels: when a row of a labels table is deleted, its trigger (installed by a
 * plug-in's migration with `recordLabelWithdrawals` or `trackLabelChanges`) records the input id
 * here, and the evaluation stops counting the label the prediction had. The trigger function runs
 * with the rights of its owner (the service's role), so an analyst who deletes a row records the
 * withdrawal without being able to write this table.
 */
export class TrackLabelWithdrawals1795740000000 implements MigrationInterface {
  name = 'TrackLabelWithdrawals1795740000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE label_withdrawals (
        source       text        NOT NULL,
        input_id     text        NOT NULL,
        withdrawn_at timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    await queryRunner.query(
      `CREATE INDEX label_withdrawals_source_at_idx ON label_withdrawals (source, withdrawn_at)`,
    );
    // TG_ARGV: the labels table (the source), the name of its id column.
    await queryRunner.query(`
      CREATE FUNCTION mle_record_label_withdrawal() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
      BEGIN
        INSERT INTO label_withdrawals (source, input_id)
        VALUES (TG_ARGV[0], to_jsonb(OLD) ->> TG_ARGV[1]);
        RETURN OLD;
      END $$`);
    await queryRunner.query(`REVOKE ALL ON FUNCTION mle_record_label_withdrawal() FROM PUBLIC`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION mle_record_label_withdrawal() CASCADE`);
    await queryRunner.query(`DROP TABLE label_withdrawals`);
  }
}
