import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A checkpoint also records what the file held just before its position: the SHA-256 (hex) of
 * the last 4 KiB (or fewer, from the start) of the content it consumed. A file whose bytes there
 * changed, or that is now shorter than the position, is reported and read again from its start
 * instead of resumed in the middle of another content. Null for checkpoints made before.
 */
export class FingerprintLogCheckpoints1795730000000 implements MigrationInterface {
  name = 'FingerprintLogCheckpoints1795730000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE prediction_log_checkpoints ADD COLUMN fingerprint text`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE prediction_log_checkpoints DROP COLUMN fingerprint`);
  }
}
