import { ANALYST_ROLE } from '@app/mle';
import { Client } from 'pg';
import { testDatabaseUrl, urlAs } from '../../../../test/test-database';

const insertSale = `INSERT INTO sales (sold_at, customer_id, region, channel, product_category,
  unit_price, quantity, discount_pct, promo, customer_tenure_days, items_in_basket)
  VALUES (now(), 1, 'north', 'online', 'books', 10, 1, 0, false, 5, 1) RETURNING id`;

// The sales table as the analyst uses it: labels written by hand, constraints that explain
// themselves, a deleted sale withdrawing its label.
describe('sales migrations', () => {
  let analyst: Client;
  let owner: Client;

  beforeAll(async () => {
    owner = new Client({ connectionString: testDatabaseUrl() });
    await owner.connect();
    analyst = new Client({
      connectionString: urlAs(ANALYST_ROLE, process.env.ANALYST_PASSWORD ?? ''),
    });
    await analyst.connect();
  });

  afterAll(async () => {
    await analyst.end();
    await owner.end();
  });

  it('should let the analyst select, insert, update and delete sales', async () => {
    const inserted = await analyst.query<{ id: string }>(insertSale);
    const id = inserted.rows[0].id;
    await analyst.query(
      `UPDATE sales SET reordered = true, label_updated_at = now() WHERE id = $1`,
      [id],
    );
    const read = await analyst.query(`SELECT reordered FROM sales WHERE id = $1`, [id]);
    expect(read.rows).toEqual([{ reordered: true }]);
    const deleted = await analyst.query(`DELETE FROM sales WHERE id = $1`, [id]);
    expect(deleted.rowCount).toBe(1);
  });

  it('should record a sale the analyst deletes as a withdrawn label', async () => {
    const inserted = await analyst.query<{ id: string }>(insertSale);
    const id = inserted.rows[0].id;
    await analyst.query(`DELETE FROM sales WHERE id = $1`, [id]);
    const { rows } = await owner.query<{ source: string; input_id: string }>(
      `SELECT source, input_id FROM label_withdrawals WHERE source = 'sales' AND input_id = $1`,
      [id],
    );
    expect(rows).toEqual([{ source: 'sales', input_id: String(id) }]);
  });

  it('should stamp a label written without label_updated_at with the time of the write', async () => {
    const inserted = await analyst.query<{ id: string }>(insertSale);
    const id = inserted.rows[0].id;
    try {
      const before = await owner.query<{ now: Date }>('SELECT clock_timestamp() AS now');
      await analyst.query(`UPDATE sales SET reordered = true WHERE id = $1`, [id]);
      const after = await owner.query<{ now: Date }>('SELECT clock_timestamp() AS now');
      const { rows } = await analyst.query<{
        reordered: boolean;
        label_updated_at: Date;
        label_changed_at: Date;
      }>(`SELECT reordered, label_updated_at, label_changed_at FROM sales WHERE id = $1`, [id]);
      expect(rows[0].reordered).toBe(true);
      expect(rows[0].label_updated_at.getTime()).toBeGreaterThanOrEqual(
        before.rows[0].now.getTime(),
      );
      expect(rows[0].label_updated_at.getTime()).toBeLessThanOrEqual(after.rows[0].now.getTime());
      expect(rows[0].label_changed_at).toEqual(rows[0].label_updated_at);

      // A changed label without a time gets the new write's time, not the old label's.
      await analyst.query(`UPDATE sales SET reordered = false WHERE id = $1`, [id]);
      const changed = await analyst.query<{ label_updated_at: Date }>(
        `SELECT label_updated_at FROM sales WHERE id = $1`,
        [id],
      );
      expect(changed.rows[0].label_updated_at.getTime()).toBeGreaterThan(
        rows[0].label_updated_at.getTime(),
      );

      // A backdated time given by the writer is kept.
      await analyst.query(
        `UPDATE sales SET reordered = true, label_updated_at = '2026-01-02T03:04:05Z' WHERE id = $1`,
        [id],
      );
      const backdated = await analyst.query<{ label_updated_at: Date }>(
        `SELECT label_updated_at FROM sales WHERE id = $1`,
        [id],
      );
      expect(backdated.rows[0].label_updated_at.toISOString()).toBe('2026-01-02T03:04:05.000Z');

      // Clearing the label clears its time.
      await analyst.query(`UPDATE sales SET reordered = NULL WHERE id = $1`, [id]);
      const cleared = await analyst.query(
        `SELECT reordered, label_updated_at, label_changed_at IS NOT NULL AS changed FROM sales WHERE id = $1`,
        [id],
      );
      expect(cleared.rows).toEqual([{ reordered: null, label_updated_at: null, changed: true }]);
    } finally {
      await analyst.query(`DELETE FROM sales WHERE id = $1`, [id]);
    }
  });

  it('should stamp a label inserted without label_updated_at', async () => {
    const { rows } = await analyst.query<{ id: string; stamped: boolean }>(
      `INSERT INTO sales (sold_at, customer_id, region, channel, product_category, unit_price,
        quantity, discount_pct, promo, customer_tenure_days, items_in_basket, reordered)
       VALUES (now(), 1, 'north', 'online', 'books', 10, 1, 0, false, 5, 1, true)
       RETURNING id, label_updated_at IS NOT NULL AS stamped`,
    );
    await analyst.query(`DELETE FROM sales WHERE id = $1`, [rows[0].id]);
    expect(rows[0].stamped).toBe(true);
  });

  it('should name the constraint a contradictory label breaks', async () => {
    const error = (await analyst
      .query(
        `INSERT INTO sales (sold_at, customer_id, region, channel, product_category, unit_price,
          quantity, discount_pct, promo, customer_tenure_days, items_in_basket, label_updated_at)
         VALUES (now(), 1, 'north', 'online', 'books', 10, 1, 0, false, 5, 1, now())`,
      )
      .then(
        () => undefined,
        (e: unknown) => e,
      )) as { code?: string; constraint?: string } | undefined;
    expect(error).toMatchObject({ code: '23514', constraint: 'sales_label_time_required' });
  });

  it('should give every sales constraint a name that says what it protects', async () => {
    const { rows } = await owner.query<{ conname: string }>(
      `SELECT conname FROM pg_constraint WHERE conrelid = 'sales'::regclass AND contype = 'c' ORDER BY 1`,
    );
    expect(rows.map((r) => r.conname)).toEqual([
      'sales_channel_known',
      'sales_customer_tenure_days_not_negative',
      'sales_discount_pct_percentage',
      'sales_items_in_basket_at_least_one',
      'sales_label_time_required',
      'sales_quantity_positive',
      'sales_unit_price_not_negative',
    ]);
  });
});
