import { recordLabelWithdrawals, stopRecordingLabelWithdrawals } from '@app/mle';
import { MigrationInterface, QueryRunner } from 'typeorm';

/** A deleted sale withdraws its label: the evaluation stops counting it. */
export class RecordSalesLabelWithdrawals1795740100000 implements MigrationInterface {
  name = 'RecordSalesLabelWithdrawals1795740100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await recordLabelWithdrawals(queryRunner, { table: 'sales', id: 'id' });
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await stopRecordingLabelWithdrawals(queryRunner, 'sales');
  }
}
