import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Performance estimated before the labels arrive: each evaluation stores its estimate (per
 * version and per UTC day) beside what it measured, and may recommend WATCH: the estimate or the
 * drift warns while the measured accuracy is still fine or not yet known. Evaluations stored
 * before have no estimate.
 */
export class EstimatedPerformance1795760000000 implements MigrationInterface {
  name = 'EstimatedPerformance1795760000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE model_evaluations ADD COLUMN estimation jsonb`);
    await queryRunner.query(
      `ALTER TABLE model_evaluations DROP CONSTRAINT model_evaluations_recommendation_check`,
    );
    await queryRunner.query(
      `ALTER TABLE model_evaluations ADD CONSTRAINT model_evaluations_recommendation_check
         CHECK (recommendation IN ('OK', 'RETRAIN', 'INSUFFICIENT_DATA', 'WATCH'))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // WATCH did not exist: the closest earlier verdict is INSUFFICIENT_DATA (no action taken).
    await queryRunner.query(
      `UPDATE model_evaluations SET recommendation = 'INSUFFICIENT_DATA' WHERE recommendation = 'WATCH'`,
    );
    await queryRunner.query(
      `ALTER TABLE model_evaluations DROP CONSTRAINT model_evaluations_recommendation_check`,
    );
    await queryRunner.query(
      `ALTER TABLE model_evaluations ADD CONSTRAINT model_evaluations_recommendation_check
         CHECK (recommendation IN ('OK', 'RETRAIN', 'INSUFFICIENT_DATA'))`,
    );
    await queryRunner.query(`ALTER TABLE model_evaluations DROP COLUMN estimation`);
  }
}
