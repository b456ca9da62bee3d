import { MigrationInterface, QueryRunner } from 'typeorm';

// PostgreSQL's generated name → a name that says what the check protects, as an error shows it.
const RENAMES: [generated: string, named: string][] = [
  // A label (`reordered`) and the time it became known (`label_updated_at`) are set together.
  ['sales_check', 'sales_label_time_required'],
  ['sales_channel_check', 'sales_channel_known'],
  ['sales_unit_price_check', 'sales_unit_price_not_negative'],
  ['sales_quantity_check', 'sales_quantity_positive'],
  ['sales_discount_pct_check', 'sales_discount_pct_percentage'],
  ['sales_customer_tenure_days_check', 'sales_customer_tenure_days_not_negative'],
  ['sales_items_in_basket_check', 'sales_items_in_basket_at_least_one'],
];

/** Names for the checks of `sales`, so `violates check constraint "…"` tells an analyst why. */
export class NameSalesConstraints1795730300000 implements MigrationInterface {
  name = 'NameSalesConstraints1795730300000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const [generated, named] of RENAMES) {
      await queryRunner.query(`ALTER TABLE sales RENAME CONSTRAINT ${generated} TO ${named}`);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const [generated, named] of RENAMES) {
      await queryRunner.query(`ALTER TABLE sales RENAME CONSTRAINT ${named} TO ${generated}`);
    }
  }
}
