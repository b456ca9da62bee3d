import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Shadow predictions: a shadow version scores live requests after the answer has gone; its
 * predictions are logged and loaded like the champion's, marked `shadow`, and never answered.
 * The evaluation's overall figures count only answered predictions; each version's own figures
 * count all of its predictions, so champion and shadow compare on the same inputs.
 */
export class ShadowPredictions1795750000000 implements MigrationInterface {
  name = 'ShadowPredictions1795750000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE predictions ADD COLUMN shadow boolean NOT NULL DEFAULT false`,
    );
    await queryRunner.query(
      `ALTER TABLE prediction_outcomes ADD COLUMN shadow boolean NOT NULL DEFAULT false`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE prediction_outcomes DROP COLUMN shadow`);
    await queryRunner.query(`ALTER TABLE predictions DROP COLUMN shadow`);
  }
}
