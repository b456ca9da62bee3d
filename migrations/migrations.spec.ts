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
import { SERVED_MODELS } from '../apps/api/src/served-models';
import { ANALYST_CONNECTION_LIMIT, ANALYST_ROLE } from './1795710100000-CreateAnalystRole';
import { PartitionPredictions1795770000000 } from './1795770000000-PartitionPredictions';

// Tables the analyst reads and writes (the served plug-ins' data); every other table is
// bookkeeping and read-only. A plug-in's own spec writes to its tables as the analyst.
const DATA_TABLES = [
  ...new Set(
    SERVED_MODELS.flatMap(({ data }) => (data ? [data.rows.table, data.labels.table] : [])),
  ),
];
const DATA_TABLE = DATA_TABLES[0];
const DATA_TABLE_ID = SERVED_MODELS.find((p) => p.data)?.data?.rows.id ?? 'id';

// The stored model versions are the service's alone: the analyst neither reads nor changes them.
const SERVICE_ONLY_TABLES = ['model_artifacts', 'model_artifact_files'];

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
      expect(await tables()).toEqual(expect.arrayContaining(['migrations', ...DATA_TABLES]));

      for (let i = 0; i < applied.length; i++) await dataSource.undoLastMigration();
      expect(await tables()).toEqual(['migrations']);

      const again = await dataSource.runMigrations();
      expect(again.map((m) => m.name)).toEqual(applied.map((m) => m.name));
      expect(await tables()).toEqual(expect.arrayContaining(['migrations', ...DATA_TABLES]));
    } finally {
      await dataSource.destroy();
      const admin = new Client({ connectionString: url.replace(/\/[^/]+$/, '/postgres') });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS "migrations_${process.pid}" WITH (FORCE)`);
      await admin.end();
    }
  });
});

describe(PartitionPredictions1795770000000.name, () => {
  const name = `partition_predictions_${process.pid}`;
  const DAY_MS = 86_400_000;
  const first = Date.UTC(2026, 10, 1, 12);
  let url: string;
  let dataSource: DataSource;

  type Row = { id: string; predicted_at: Date; seq: string; shadow: boolean; input_id: string };
  const rows = async (): Promise<Row[]> =>
    dataSource.query<Row[]>(
      `SELECT id, predicted_at, seq, shadow, input_id FROM predictions ORDER BY seq`,
    );
  const partitions = async (): Promise<string[]> =>
    (
      await dataSource.query<{ name: string }[]>(
        `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
          WHERE i.inhparent = 'predictions'::regclass ORDER BY 1`,
      )
    ).map((r) => r.name);
  const kind = async (): Promise<string> =>
    (
      await dataSource.query<{ relkind: string }[]>(
        `SELECT relkind FROM pg_class WHERE oid = 'predictions'::regclass`,
      )
    )[0].relkind;
  const insert = (day: number, n: number) =>
    dataSource.query(
      `INSERT INTO predictions (id, request_id, input_id, predicted_at, model, model_version,
                                prediction, probability, features, shadow)
       VALUES (gen_random_uuid(), $1, $2, $3, 'm', 'v1', true, 0.5, '{}', $4)`,
      [`r-${day}-${n}`, `${day * 100 + n}`, new Date(first + day * DAY_MS + n * 60_000), n === 0],
    );

  beforeAll(async () => {
    url = await createScratchDatabase(name);
    const options = testDataSourceOptions(url);
    dataSource = await new DataSource({
      ...options,
      migrations: (options.migrations as unknown[]).filter(
        (m) => m !== PartitionPredictions1795770000000,
      ) as typeof options.migrations,
    }).initialize();
    await dataSource.runMigrations({ transaction: 'each' });
  });

  afterAll(async () => {
    await dataSource.destroy();
    await dropScratchDatabase(name);
  });

  it('should keep every row, its seq and the analyst read-only when it partitions a table holding rows, reverts and partitions it again', async () => {
    // Three days of rows, one a gap away, and a rolled-back insert that used a seq.
    for (const day of [0, 1, 3]) for (let n = 0; n < 3; n++) await insert(day, n);
    await dataSource.transaction(async (manager) => {
      await manager.query(`SAVEPOINT s`);
      await manager.query(
        `INSERT INTO predictions (id, request_id, input_id, predicted_at, model, model_version,
                                  prediction, probability, features)
         VALUES (gen_random_uuid(), 'lost', '0', now(), 'm', 'v1', true, 0.5, '{}')`,
      );
      await manager.query(`ROLLBACK TO SAVEPOINT s`);
    });
    const before = await rows();
    const migration = new PartitionPredictions1795770000000();
    const runner = dataSource.createQueryRunner();
    try {
      await migration.up(runner);
      expect(await kind()).toBe('p');
      expect(await partitions()).toEqual([
        'predictions_20261101',
        'predictions_20261102',
        'predictions_20261104',
        'predictions_default',
      ]);
      expect(await rows()).toEqual(before);
      const [{ n }] = await dataSource.query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM predictions_default`,
      );
      expect(n).toBe(0);
      // A new row continues after every seq handed out, and a line loaded twice conflicts.
      await insert(1, 9);
      const last = (await rows()).at(-1)!;
      expect(Number(last.seq)).toBeGreaterThan(Number(before.at(-1)!.seq) + 1);
      await expect(
        dataSource.query(
          `INSERT INTO predictions (id, request_id, input_id, predicted_at, model, model_version,
                                    prediction, probability, features)
           SELECT id, request_id, input_id, predicted_at, model, model_version, prediction,
                  probability, features FROM predictions WHERE seq = $1
           ON CONFLICT (id, predicted_at) DO NOTHING RETURNING id`,
          [last.seq],
        ),
      ).resolves.toEqual([]);
      const privileges = await dataSource.query<{ table: string; privileges: string[] }[]>(
        `SELECT t AS table,
                ARRAY(SELECT p FROM unnest(ARRAY['SELECT','INSERT','UPDATE','DELETE','TRUNCATE'])
                      AS p WHERE has_table_privilege($1, t, p)) AS privileges
           FROM unnest($2::text[]) AS t ORDER BY 1`,
        [ANALYST_ROLE, ['predictions', ...(await partitions())]],
      );
      for (const p of privileges) expect(p).toEqual({ table: p.table, privileges: ['SELECT'] });

      await migration.down(runner);
      expect(await kind()).toBe('r');
      const reverted = await rows();
      expect(reverted).toEqual([...before, last]);
      await insert(2, 9);
      expect(Number((await rows()).at(-1)!.seq)).toBeGreaterThan(Number(last.seq));

      await migration.up(runner);
      expect(await kind()).toBe('p');
      expect((await rows()).slice(0, -1)).toEqual(reverted);
      expect(await partitions()).toContain('predictions_20261103');
    } finally {
      await runner.release();
    }
  });
});

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

  it('should read, insert, update and delete rows of the data tables', async () => {
    const privileges = await owner.query<{ table: string; granted: boolean }>(
      `SELECT t AS table,
              has_table_privilege($1, t, 'SELECT, INSERT, UPDATE, DELETE') AS granted
         FROM unnest($2::text[]) AS t`,
      [ANALYST_ROLE, DATA_TABLES],
    );
    expect(privileges.rows).toEqual(DATA_TABLES.map((table) => ({ table, granted: true })));
    await expect(analyst.query(`SELECT count(*) FROM ${DATA_TABLE}`)).resolves.toMatchObject({
      rowCount: 1,
    });
  });

  it('should read the withdrawn labels but not record one by hand', async () => {
    await expect(analyst.query('SELECT count(*) FROM label_withdrawals')).resolves.toMatchObject({
      rowCount: 1,
    });
    await refused(`INSERT INTO label_withdrawals (source, input_id) VALUES ('x', '1')`);
    await refused(`SELECT mle_record_label_withdrawal()`);
  });

  it('should read the migrations table but not change it', async () => {
    const { rows } = await analyst.query<{ name: string }>('SELECT name FROM migrations');
    expect(rows.length).toBeGreaterThan(0);
    await refused(`INSERT INTO migrations (timestamp, name) VALUES (1, 'x')`);
    await refused(`UPDATE migrations SET name = name`);
    await refused(`DELETE FROM migrations`);
  });

  it('should neither read nor change the stored model artifacts', async () => {
    await refused(`SELECT count(*) FROM model_artifacts`);
    await refused(`SELECT content FROM model_artifact_files`);
    await refused(`UPDATE model_artifact_files SET content = ''::bytea`);
    await refused(`DELETE FROM model_artifacts`);
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
    [`TRUNCATE ${DATA_TABLE}`],
    ['TRUNCATE migrations'],
    ['TRUNCATE predictions'],
    [`DROP TABLE ${DATA_TABLE}`],
    [`ALTER TABLE ${DATA_TABLE} ADD COLUMN x int`],
    ['CREATE TABLE analyst_owned (id int)'],
    ['CREATE TEMP TABLE analyst_temp (id int)'],
    ['CREATE VIEW analyst_view AS SELECT 1'],
    [`CREATE INDEX analyst_idx ON ${DATA_TABLE} (${DATA_TABLE_ID})`],
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
        : SERVICE_ONLY_TABLES.includes(table_name)
          ? []
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
        `SELECT count(*)::int AS count FROM ${DATA_TABLE}`,
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
});
