import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What each evaluation run did to the partitions of `predictions`: the days created ahead (and
 * rows moved in from the DEFAULT partition), the days dropped past the retention with their
 * size, and any step that failed. Null for runs before, and for runs that failed earlier.
 */
export class RecordPartitionMaintenance1795770100000 implements MigrationInterface {
  name = 'RecordPartitionMaintenance1795770100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE job_runs ADD COLUMN partitions jsonb`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE job_runs DROP COLUMN partitions`);
  }
}
