import { Client } from 'pg';
import { DataSource } from 'typeorm';
import {
  createScratchDatabase,
  dropScratchDatabase,
  openTestDataSource,
  testDatabaseUrl,
  testDataSourceOptions,
  urlAs,
} from '../test/test-database';
import { runCli } from '../test/cli';
import { ANALYST_CONNECTION_LIMIT, ANALYST_ROLE } from './1795710100000-CreateAnalystRole';

// One file, so that nothing else alters the cluster-wide analyst role while these tests run.
describe('migrations', () => {
  it('should apply, revert every step and apply again on an empty database', async () => {
    const url = await createScratchDatabase(`migrations_${process.pid}`);
    const dataSource = await new DataSource(testDataSourceOptions(url)).initialize();
    const tables = async () =>
      (
        await dataSource.query<{ table_name: string }[]>(
          `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`,
        )
      ).map((r) => r.table_name);
    try {
      const applied = await dataSource.runMigrations();
      expect(applied.length).toBe(dataSource.migrations.length);
      expect(await tables()).toEqual(expect.arrayContaining(['migrations', 'sales']));

      for (let i = 0; i < applied.length; i++) await dataSource.undoLastMigration();
      expect(await tables()).toEqual(['migrations']);

      const again = await dataSource.runMigrations();
      expect(again.map((m) => m.name)).toEqual(applied.map((m) => m.name));
      expect(await tables()).toEqual(expect.arrayContaining(['migrations', 'sales']));
    } finally {
      await dataSource.destroy();
      const admin = new Client({ connectionString: url.replace(/\/[^/]+$/, '/postgres') });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS "migrations_${process.pid}" WITH (FORCE)`);
      await admin.end();
    }
  });
});

// Tables the analyst reads and writes; every other table is bookkeeping and read-only.
const DATA_TABLES = ['sales'];

const insertSale = `INSERT INTO sales (sold_at, customer_id, region, channel, product_category,
  unit_price, quantity, discount_pct, promo, customer_tenure_days, items_in_basket)
  VALUES (now(), 1, 'north', 'online', 'books', 10, 1, 0, false, 5, 1) RETURNING id`;

describe('analyst role', () => {
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

  async function refused(sql: string): Promise<void> {
    const error = (await analyst.query(sql).then(
      () => undefined,
      (e: unknown) => e,
    )) as { code?: string } | undefined;
    // insufficient_privilege: "permission denied" and "must be owner" alike.
    expect(error?.code).toBe('42501');
  }

  it('should log in with ANALYST_PASSWORD and hold no special attributes', async () => {
    const { rows } = await owner.query<{
      rolsuper: boolean;
      rolcreatedb: boolean;
      rolcreaterole: boolean;
      rolreplication: boolean;
      rolbypassrls: boolean;
      rolcanlogin: boolean;
      rolconnlimit: number;
    }>(`SELECT * FROM pg_roles WHERE rolname = $1`, [ANALYST_ROLE]);
    expect(rows[0]).toMatchObject({
      rolsuper: false,
      rolcreatedb: false,
      rolcreaterole: false,
      rolreplication: false,
      rolbypassrls: false,
      rolcanlogin: true,
      rolconnlimit: ANALYST_CONNECTION_LIMIT,
    });
    const who = await analyst.query<{ current_user: string }>('SELECT current_user');
    expect(who.rows[0].current_user).toBe(ANALYST_ROLE);
  });

  it('should select, insert, update and delete sales', async () => {
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

  it('should read the migrations table but not change it', async () => {
    const { rows } = await analyst.query<{ name: string }>('SELECT name FROM migrations');
    expect(rows.length).toBeGreaterThan(0);
    await refused(`INSERT INTO migrations (timestamp, name) VALUES (1, 'x')`);
    await refused(`UPDATE migrations SET name = name`);
    await refused(`DELETE FROM migrations`);
  });

  it('should read the predictions audit trail but not change it', async () => {
    // Reading is allowed (a refusal would reject with 42501).
    await expect(analyst.query('SELECT count(*) FROM predictions')).resolves.toMatchObject({
      rowCount: 1,
    });
    await refused(`INSERT INTO predictions (id, request_id, input_id, predicted_at, model,
      model_version, prediction, probability, features)
      VALUES (gen_random_uuid(), 'r', '1', now(), 'm', 'v', true, 0.5, '{}')`);
    await refused(`UPDATE predictions SET prediction = NOT prediction`);
    await refused(`DELETE FROM predictions`);
    await refused(`UPDATE model_evaluations SET recommendation = 'OK'`);
    await refused(`DELETE FROM job_runs`);
  });

  it.each([
    ['TRUNCATE sales'],
    ['TRUNCATE migrations'],
    ['TRUNCATE predictions'],
    ['DROP TABLE sales'],
    ['ALTER TABLE sales ADD COLUMN x int'],
    ['CREATE TABLE analyst_owned (id int)'],
    ['CREATE TEMP TABLE analyst_temp (id int)'],
    ['CREATE VIEW analyst_view AS SELECT 1'],
    ['CREATE INDEX analyst_idx ON sales (region)'],
    ['CREATE SCHEMA analyst_schema'],
    ['CREATE ROLE analyst_friend'],
    ['ALTER ROLE analyst CONNECTION LIMIT 100'],
    ['CREATE DATABASE analyst_db'],
  ])('should be refused %s', async (sql) => {
    await refused(sql);
  });

  it('should keep the privilege rule on every table the migrations create', async () => {
    const { rows } = await owner.query<{ table_name: string; privileges: string[] }>(
      `SELECT c.relname AS table_name,
              ARRAY(SELECT p FROM unnest(ARRAY['SELECT','INSERT','UPDATE','DELETE','TRUNCATE',
                                               'REFERENCES','TRIGGER']) AS p
                    WHERE has_table_privilege($1, c.oid, p) ORDER BY p) AS privileges
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm')
        ORDER BY 1`,
      [ANALYST_ROLE],
    );
    expect(rows.length).toBeGreaterThanOrEqual(2);
    for (const { table_name, privileges } of rows) {
      const expected = DATA_TABLES.includes(table_name)
        ? ['DELETE', 'INSERT', 'SELECT', 'UPDATE']
        : ['SELECT'];
      expect({ table_name, privileges }).toEqual({ table_name, privileges: expected });
    }
    const schema = await owner.query<{ create: boolean }>(
      `SELECT has_schema_privilege($1, 'public', 'CREATE') AS create`,
      [ANALYST_ROLE],
    );
    expect(schema.rows[0].create).toBe(false);
  });

  it('should not hold the password in the catalogue, only its SCRAM verifier', async () => {
    const { rows } = await owner.query<{ rolpassword: string }>(
      `SELECT rolpassword FROM pg_authid WHERE rolname = $1`,
      [ANALYST_ROLE],
    );
    expect(rows[0].rolpassword).toMatch(/^SCRAM-SHA-256\$4096:/);
    expect(rows[0].rolpassword).not.toContain(process.env.ANALYST_PASSWORD);
  });

  it('should keep the analyst login of every database when another is migrated without ANALYST_PASSWORD', async () => {
    const name = `analyst_second_${process.pid}`;
    const password = process.env.ANALYST_PASSWORD;
    const secondUrl = await createScratchDatabase(name);
    try {
      delete process.env.ANALYST_PASSWORD;
      const second = await openTestDataSource(secondUrl);
      try {
        await second.runMigrations({ transaction: 'each' });
      } finally {
        await second.destroy();
      }
      process.env.ANALYST_PASSWORD = password;

      const first = new Client({ connectionString: urlAs(ANALYST_ROLE, password ?? '') });
      await first.connect();
      const { rows } = await first.query<{ count: number }>(
        'SELECT count(*)::int AS count FROM sales',
      );
      await first.end();
      expect(rows[0].count).toBeGreaterThanOrEqual(0);
      const login = await owner.query<{ rolcanlogin: boolean }>(
        `SELECT rolcanlogin FROM pg_roles WHERE rolname = $1`,
        [ANALYST_ROLE],
      );
      expect(login.rows[0].rolcanlogin).toBe(true);
    } finally {
      process.env.ANALYST_PASSWORD = password;
      await dropScratchDatabase(name);
    }
  });

  it('should set a new analyst password with `analyst:password`, after which only it works', async () => {
    const password = process.env.ANALYST_PASSWORD ?? '';
    const rotated = `rotated-${process.pid}-${Date.now()}`;
    const loginWith = async (secret: string): Promise<string> => {
      const client = new Client({ connectionString: urlAs(ANALYST_ROLE, secret) });
      try {
        await client.connect();
        const { rows } = await client.query<{ current_user: string }>('SELECT current_user');
        return rows[0].current_user;
      } finally {
        await client.end().catch(() => undefined);
      }
    };
    try {
      const result = await runCli('analyst-password', [], {
        DATABASE_URL: testDatabaseUrl(),
        ANALYST_PASSWORD: rotated,
      });
      expect(result).toMatchObject({ code: 0 });
      expect(result.stdout).toMatch(/analyst.*password.*set/i);
      expect(result.stdout + result.stderr).not.toContain(rotated);

      await expect(loginWith(rotated)).resolves.toBe(ANALYST_ROLE);
      await expect(loginWith(password)).rejects.toThrow(/password authentication failed/);
    } finally {
      const restored = await runCli('analyst-password', [], {
        DATABASE_URL: testDatabaseUrl(),
        ANALYST_PASSWORD: password,
      });
      expect(restored.code).toBe(0);
    }
    await expect(loginWith(password)).resolves.toBe(ANALYST_ROLE);
  });

  it('should refuse `analyst:password` without ANALYST_PASSWORD and leave the role as it was', async () => {
    const result = await runCli('analyst-password', [], {
      DATABASE_URL: testDatabaseUrl(),
      ANALYST_PASSWORD: '',
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/ANALYST_PASSWORD is not set/);
    const again = new Client({
      connectionString: urlAs(ANALYST_ROLE, process.env.ANALYST_PASSWORD ?? ''),
    });
    await again.connect();
    await again.end();
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
