import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateSales1795710000000 implements MigrationInterface {
  name = 'CreateSales1795710000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE sales (
        id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        sold_at              timestamptz   NOT NULL,
        customer_id          bigint        NOT NULL,
        region               text          NOT NULL,
        channel              text          NOT NULL CHECK (channel IN ('online', 'store', 'partner')),
        product_category     text          NOT NULL,
        unit_price           numeric(12,2) NOT NULL CHECK (unit_price >= 0),
        quantity             int           NOT NULL CHECK (quantity > 0),
        discount_pct         numeric(5,2)  NOT NULL CHECK (discount_pct BETWEEN 0 AND 100),
        promo                boolean       NOT NULL,
        customer_tenure_days int           NOT NULL CHECK (customer_tenure_days >= 0),
        items_in_basket      int           NOT NULL CHECK (items_in_basket >= 1),
        reordered            boolean,
        label_updated_at     timestamptz,
        CHECK ((reordered IS NULL) = (label_updated_at IS NULL))
      )`);
    // Reads by date range (all rows, or labelled only for training), and by customer.
    await queryRunner.query(`CREATE INDEX sales_sold_at_idx ON sales (sold_at, id)`);
    await queryRunner.query(
      `CREATE INDEX sales_labelled_sold_at_idx ON sales (sold_at, id) WHERE reordered IS NOT NULL`,
    );
    await queryRunner.query(`CREATE INDEX sales_customer_id_idx ON sales (customer_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE sales`);
  }
}
