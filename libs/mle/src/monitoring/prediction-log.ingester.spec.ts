import { createHash } from 'node:crypto';
import { appendFile, mkdtemp, readFile, rm, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DataSource } from 'typeorm';
import {
  createScratchDatabase,
  dropScratchDatabase,
  migrateTestDatabase,
  openTestDataSource,
} from '../../../../test/test-database';
import { LabelledTableSql } from '../data/labelled-table';
import { PredictionRecord } from '../prediction-log/prediction-record';
import { churnTestPlugin } from '../testing/churn/churn.plugin';
import { CHURN_FEATURE_SCHEMA } from '../testing/churn/churn.model';
import { MAX_LINE_BYTES } from './ingestion/line.splitter';
import { PredictionLogIngester, TAIL_ABANDONED_AFTER_MS } from './prediction-log.ingester';
import { ReferenceDistribution } from './reference-distribution';
import { OutcomeRepository } from './repositories/outcome.repository';

const record = (n: number, overrides: Partial<PredictionRecord> = {}): PredictionRecord => ({
  ts: new Date(Date.UTC(2026, 10, 1) + n * 1_000).toISOString(),
  requestId: `req-${n}`,
  inputId: String(1_000 + n),
  features: { colour: 'red', score: 9.99, count: n, flag: n % 2 === 0 },
  prediction: n % 3 === 0,
  probability: 0.25 + n / 100_000,
  model: 'test-model',
  modelVersion: 'v1',
  latencyMs: 1.5,
  ...overrides,
});
const records = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => record(from + i));
/** Log lines as the writer writes them. */
const jsonl = (rows: PredictionRecord[]) => rows.map((r) => `${JSON.stringify(r)}\n`).join('');
const logName = (host = 'api-1', pid = 41, rotation = '') =>
  `predictions-${host}-${pid}-2026-11-01${rotation}.jsonl`;
const uuidOf = (line: string) =>
  createHash('md5')
    .update(line)
    .digest('hex')
    .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');

/** test-model's labels, kept in the test plug-in's outcomes table. */
const labelsOfTestModel = new LabelledTableSql(
  churnTestPlugin.data!.rows,
  churnTestPlugin.data!.labels,
  CHURN_FEATURE_SCHEMA,
);

describe(PredictionLogIngester.name, () => {
  const database = `prediction_log_ingester_${process.pid}`;
  let dataSource: DataSource;
  let dir: string;

  const ingester = () =>
    new PredictionLogIngester(dataSource, {
      enabled: true,
      dir,
      maxSize: '100m',
      retentionDays: 30,
    });
  const write = (name: string, text: string) => writeFile(join(dir, name), text);
  const append = (name: string, text: string) => appendFile(join(dir, name), text);
  /** Archives a file as the writer does once it is rotated: gzipped copy first, then unlink. */
  const gzip = async (name: string, { keepPlain = false } = {}) => {
    await writeFile(join(dir, `${name}.gz`), gzipSync(await readFile(join(dir, name))));
    if (!keepPlain) await unlink(join(dir, name));
  };
  const storedRequestIds = async () =>
    (
      await dataSource.query<{ request_id: string }[]>(
        'SELECT request_id FROM predictions ORDER BY predicted_at, request_id',
      )
    ).map((r) => r.request_id);
  const requestIds = (from: number, to: number) => records(from, to).map((r) => r.requestId);
  const checkpoint = async (file: string) => {
    const [row] = await dataSource.query<
      { position: string; lines: string; skipped_lines: string; completed: boolean }[]
    >('SELECT * FROM prediction_log_checkpoints WHERE file = $1', [file]);
    return row;
  };

  beforeAll(async () => {
    const url = await createScratchDatabase(database);
    // The test plug-in's tables hold the labels the evaluation reads.
    await migrateTestDatabase(url, { plugins: [churnTestPlugin] });
    dataSource = await openTestDataSource(url, [churnTestPlugin]);
  });

  afterAll(async () => {
    await dataSource.destroy();
    await dropScratchDatabase(database);
  });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mle-ingester-'));
    await dataSource.query(
      'TRUNCATE predictions, prediction_log_checkpoints, prediction_feature_counts',
    );
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('should load nothing again and not read the file when it has not grown', async () => {
    await write(logName(), jsonl(records(1, 3)));
    const first = await ingester().ingest();

    const second = await ingester().ingest();

    expect(first).toMatchObject({ files: 1, filesRead: 1, lines: 3, inserted: 3, skipped: 0 });
    expect(second).toMatchObject({ files: 1, filesRead: 0, lines: 0, inserted: 0 });
    expect(await storedRequestIds()).toEqual(requestIds(1, 3));
  });

  it('should load only the new lines when a file grows between runs', async () => {
    const loader = ingester();
    await write(logName(), jsonl(records(1, 3)));
    await loader.ingest();
    await append(logName(), jsonl(records(4, 5)));

    const summary = await loader.ingest();

    expect(summary).toMatchObject({ lines: 2, inserted: 2, duplicates: 0 });
    expect(await storedRequestIds()).toEqual(requestIds(1, 5));
  });

  it('should resume from the checkpoints when a new ingester starts on the same database', async () => {
    await write(logName(), jsonl(records(1, 3)));
    await ingester().ingest();
    await append(logName(), jsonl(records(4, 4)));

    const summary = await ingester().ingest();

    expect(summary).toMatchObject({ lines: 1, inserted: 1, duplicates: 0 });
    expect(await storedRequestIds()).toEqual(requestIds(1, 4));
  });

  it('should leave a partial last line for the next run when the file is being written', async () => {
    const third = JSON.stringify(record(3));
    await write(logName(), jsonl(records(1, 2)) + third.slice(0, 40));

    const first = await ingester().ingest();
    await append(logName(), `${third.slice(40)}\n`);
    const second = await ingester().ingest();

    expect(first).toMatchObject({ lines: 2, inserted: 2, skipped: 0 });
    expect(second).toMatchObject({ lines: 1, inserted: 1, skipped: 0 });
    expect(await storedRequestIds()).toEqual(requestIds(1, 3));
  });

  it('should count the partial tail of a file no longer written as malformed and glue nothing to it', async () => {
    await write(logName(), jsonl(records(1, 2)) + JSON.stringify(record(3)).slice(0, 40));
    const past = new Date(Date.now() - TAIL_ABANDONED_AFTER_MS - 60_000);
    await utimes(join(dir, logName()), past, past);

    const first = await ingester().ingest();
    // Were the tail held, this line would be glued onto it and lost.
    await append(logName(), jsonl(records(4, 4)));
    const second = await ingester().ingest();

    expect(first).toMatchObject({ lines: 3, inserted: 2, skipped: 1 });
    expect(second).toMatchObject({ lines: 1, inserted: 1, skipped: 0 });
    expect(await storedRequestIds()).toEqual(['req-1', 'req-2', 'req-4']);
    expect(await checkpoint(logName())).toMatchObject({ lines: '4', skipped_lines: '1' });
  });

  it('should report the file and load it again from the start when it is shorter than its checkpoint', async () => {
    await write(logName(), jsonl(records(1, 5)));
    await ingester().ingest();
    await write(logName(), jsonl(records(6, 7)));

    const summary = await ingester().ingest();

    expect(summary).toMatchObject({ mismatched: 1, lines: 2, inserted: 2, duplicates: 0 });
    expect(await storedRequestIds()).toEqual(requestIds(1, 7));
    expect(await ingester().ingest()).toMatchObject({ mismatched: 0, lines: 0 });
  });

  it('should report the file and load it again from the start when the bytes before its checkpoint changed', async () => {
    await write(logName(), jsonl(records(1, 3)));
    await ingester().ingest();
    await write(logName(), jsonl([...records(1, 2), record(8), ...records(4, 6)]));

    const summary = await ingester().ingest();

    expect(summary).toMatchObject({ mismatched: 1, lines: 6, inserted: 4, duplicates: 2 });
    expect(await storedRequestIds()).toEqual([...requestIds(1, 6), 'req-8']);
  });

  it('should report a gzipped file and load it from the start when it does not hold what was checkpointed', async () => {
    await write(logName(), jsonl(records(1, 3)));
    await ingester().ingest();
    await write(logName(), jsonl(records(9, 12)));
    await gzip(logName());

    const summary = await ingester().ingest();

    expect(summary).toMatchObject({ mismatched: 1, lines: 4, inserted: 4, duplicates: 0 });
    expect(await storedRequestIds()).toEqual([...requestIds(1, 3), ...requestIds(9, 12)]);
    expect(await checkpoint(logName())).toMatchObject({ completed: true });
  });

  it('should load only the remainder when a partly loaded file is rotated and gzipped', async () => {
    await write(logName(), jsonl(records(1, 3)));
    await ingester().ingest();
    await append(logName(), jsonl(records(4, 5)));
    await gzip(logName());
    await write(logName('api-1', 41, '.1'), jsonl(records(6, 6)));

    const summary = await ingester().ingest();

    expect(summary).toMatchObject({ files: 2, filesRead: 2, lines: 3, inserted: 3 });
    expect(summary.duplicates).toBe(0);
    expect(await storedRequestIds()).toEqual(requestIds(1, 6));
    expect(await checkpoint(logName())).toMatchObject({ lines: '5', completed: true });
  });

  it('should read one copy when a file and its gzipped copy both exist', async () => {
    await write(logName(), jsonl(records(1, 3)));
    await gzip(logName(), { keepPlain: true });

    const summary = await ingester().ingest();
    await unlink(join(dir, logName()));
    const after = await ingester().ingest();

    expect(summary).toMatchObject({ files: 1, filesRead: 1, lines: 3, inserted: 3 });
    expect(summary.duplicates).toBe(0);
    expect(after).toMatchObject({ files: 1, filesRead: 0, lines: 0 });
    expect(await storedRequestIds()).toEqual(requestIds(1, 3));
  });

  it('should not open a gzipped file again once it is completed', async () => {
    await write(logName(), jsonl(records(1, 2)));
    await gzip(logName());
    await ingester().ingest();
    // Were it read again, these lines would be new.
    await writeFile(join(dir, `${logName()}.gz`), gzipSync(jsonl(records(1, 9))));

    const summary = await ingester().ingest();

    expect(summary).toMatchObject({ files: 1, filesRead: 0, lines: 0, inserted: 0 });
    expect(await storedRequestIds()).toEqual(requestIds(1, 2));
  });

  it('should count re-read lines as duplicates when the checkpoints are lost', async () => {
    await write(logName(), jsonl(records(1, 3)));
    await write(logName('api-1', 41, '.1'), jsonl(records(4, 5)));
    await gzip(logName());
    await ingester().ingest();
    await dataSource.query('DELETE FROM prediction_log_checkpoints');
    await append(logName('api-1', 41, '.1'), jsonl(records(6, 7)));

    const summary = await ingester().ingest();

    expect(summary).toMatchObject({ filesRead: 2, lines: 7, inserted: 2, duplicates: 5 });
    expect(await storedRequestIds()).toEqual(requestIds(1, 7));
  });

  it('should count features for drift once per line, also when lines are read again', async () => {
    const reference: ReferenceDistribution = {
      colour: { kind: 'categorical', proportions: { red: 1 } },
      score: { kind: 'numeric', edges: [5, 20], proportions: [0.2, 0.6, 0.2] },
      count: { kind: 'numeric', edges: [3], proportions: [0.5, 0.5] },
      flag: { kind: 'categorical', proportions: { true: 0.5, false: 0.5 } },
    };
    const referenceOf = (_model: string, version: string) =>
      version === 'v1' ? reference : undefined;
    await write(logName(), jsonl(records(1, 3)));
    await write(logName('api-1', 41, '.1'), jsonl(records(4, 5)));
    await ingester().ingest(undefined, referenceOf);
    await dataSource.query('DELETE FROM prediction_log_checkpoints');
    await append(
      logName('api-1', 41, '.1'),
      jsonl([...records(6, 7), record(8, { modelVersion: 'v2' })]),
    );

    const summary = await ingester().ingest(undefined, referenceOf);

    expect(summary).toMatchObject({
      inserted: 3,
      duplicates: 5,
      uncountedVersions: ['test-model v2'],
    });
    const counts = await dataSource.query<{ feature: string; bin: string; count: string }[]>(
      `SELECT feature, bin, count FROM prediction_feature_counts
        WHERE model = 'test-model' AND model_version = 'v1' AND day = '2026-11-01'
        ORDER BY feature, bin`,
    );
    // Records 1–7: count n (edge 3), flag when n is even, the same colour and score; and by
    // predicted class and probability (performance estimation).
    expect(counts.map((c) => [c.feature, c.bin, Number(c.count)])).toEqual([
      ['#score', 'n25', 5],
      ['#score', 'p25', 2],
      ['colour', 'red', 7],
      ['count', '0', 2],
      ['count', '1', 5],
      ['flag', 'false', 4],
      ['flag', 'true', 3],
      ['score', '1', 7],
    ]);
    const [{ n }] = await dataSource.query<{ n: string }[]>(
      `SELECT count(*) AS n FROM prediction_feature_counts
        WHERE model_version <> 'v1' AND feature <> '#score'`,
    );
    // A version without a reference has no drift counts; its predictions still count by score.
    expect(Number(n)).toBe(0);
  });

  it('should skip a truncated last line of a gzipped file and mark the file completed', async () => {
    const complete = jsonl(records(1, 3));
    await write(logName(), complete + JSON.stringify(record(4)).slice(0, 50));
    await gzip(logName());

    const summary = await ingester().ingest();

    expect(summary).toMatchObject({ lines: 3, inserted: 3, skipped: 1 });
    expect(await storedRequestIds()).toEqual(requestIds(1, 3));
    expect(await checkpoint(logName())).toEqual(
      expect.objectContaining({
        position: String(Buffer.byteLength(complete)),
        lines: '3',
        skipped_lines: '1',
        completed: true,
      }),
    );
  });

  it('should skip and count malformed lines and load the valid lines around them', async () => {
    const valid = JSON.stringify(record(1));
    const malformed = [
      'not json at all',
      '',
      '[1, 2, 3]',
      JSON.stringify({ ...record(2), ts: undefined }),
      JSON.stringify({ ...record(3), ts: 'yesterday' }),
      JSON.stringify({ ...record(4), ts: '2026-02-30T10:00:00.000Z' }),
      JSON.stringify({ ...record(5), inputId: 1005 }),
      JSON.stringify({ ...record(6), prediction: 'true' }),
      JSON.stringify(record(7, { probability: 0 })).replace(
        '"probability":0,',
        '"probability":1e400,',
      ),
      JSON.stringify({ ...record(8), features: [1, 2] }),
      JSON.stringify({ ...record(9), features: { nested: { a: 1 } } }),
      // PostgreSQL cannot store NUL: accepted, it would fail the whole batch.
      JSON.stringify({ ...record(10), requestId: 'req-\u0000' }),
      JSON.stringify({ ...record(12), requestId: 'r'.repeat(MAX_LINE_BYTES) }),
      valid.slice(0, -1),
    ];
    await write(logName(), [valid, ...malformed, JSON.stringify(record(11)), ''].join('\n'));

    const summary = await ingester().ingest();

    expect(summary).toMatchObject({ lines: 16, inserted: 2, skipped: 14 });
    expect(await storedRequestIds()).toEqual(['req-1', 'req-11']);
    expect(await checkpoint(logName())).toMatchObject({ lines: '16', skipped_lines: '14' });
  });

  it('should load the files of every process and ignore unrelated files', async () => {
    await write(logName('api-1', 41), jsonl(records(1, 2)));
    await write(logName('api-1', 41, '.1'), jsonl(records(3, 4)));
    await gzip(logName('api-1', 41, '.1'));
    await write(logName('api-1', 42), jsonl(records(5, 5)));
    await write(logName('worker.eu-west-2', 7), jsonl(records(6, 8)));
    // Being gzipped by the writer, an audit file and strangers: none is a log to load.
    await writeFile(
      join(dir, `${logName('api-1', 41, '.2')}.gz.partial`),
      gzipSync(jsonl(records(20, 21))),
    );
    await write('.audit-predictions-api-1-41.json', '{"files":[]}');
    await write('notes.jsonl', jsonl(records(30, 30)));
    const progress: { file: string; lines: number }[] = [];

    const summary = await ingester().ingest((p) => progress.push(p));

    expect(summary).toMatchObject({ files: 4, filesRead: 4, lines: 8, inserted: 8, skipped: 0 });
    expect(await storedRequestIds()).toEqual(requestIds(1, 8));
    expect(progress).toEqual(
      expect.arrayContaining([
        { file: logName('api-1', 41, '.1'), lines: 2 },
        { file: logName('worker.eu-west-2', 7), lines: 3 },
      ]),
    );
    expect(progress).toHaveLength(4);
  });

  it.each([
    ['an answered prediction', undefined],
    ["a shadow version's prediction", true as const],
  ])('should store each line as a row equal to its record: %s', async (_, shadow) => {
    const line = JSON.stringify(
      record(1, {
        requestId: 'req\twith\\escapes\r\nand "quotes"',
        features: { region: 'north\tsouth \\ 😀', unit_price: 1e-7, quantity: 3, promo: true },
        probability: 0.1 + 0.2,
        ...(shadow ? { shadow } : {}),
      }),
    );
    await write(logName(), `${line}\n`);

    await ingester().ingest();

    const [row] = await dataSource.query<Record<string, unknown>[]>('SELECT * FROM predictions');
    const expected = JSON.parse(line) as PredictionRecord;
    expect(row).toEqual({
      id: uuidOf(line),
      request_id: expected.requestId,
      input_id: expected.inputId,
      predicted_at: new Date(expected.ts),
      model: expected.model,
      model_version: expected.modelVersion,
      prediction: expected.prediction,
      probability: expected.probability,
      features: expected.features,
      shadow: shadow ?? false,
      latency_ms: expected.latencyMs,
      seq: expect.stringMatching(/^\d+$/) as unknown,
    });
  });

  it('should mark the shadow lines and leave them out of the overall confusion when evaluated', async () => {
    const champion = records(1, 4);
    // The shadow version is wrong on every input; the champion right (the labels are its answers).
    const shadow = champion.map((r) => ({
      ...r,
      ts: new Date(Date.parse(r.ts) + 5).toISOString(),
      modelVersion: 'v2',
      prediction: !r.prediction,
      shadow: true as const,
    }));
    await write(logName(), jsonl([...champion, ...shadow]));
    await dataSource.query('TRUNCATE prediction_outcomes, monitoring_checkpoints, churn_outcomes');
    await dataSource.query(
      `INSERT INTO churn_outcomes (subscription_id, churned)
       SELECT * FROM unnest($1::bigint[], $2::boolean[])`,
      [champion.map((r) => r.inputId), champion.map((r) => r.prediction)],
    );

    const summary = await ingester().ingest();
    const outcomes = new OutcomeRepository(dataSource);
    const labelled = { name: 'test-model', data: labelsOfTestModel };
    await outcomes.update([labelled], { lockTimeoutMs: 5_000 });
    const confusion = await outcomes.confusion(
      'test-model',
      { from: new Date(Date.UTC(2026, 10, 1)), to: new Date(Date.UTC(2026, 10, 2)) },
      { lockTimeoutMs: 5_000 },
    );

    expect(summary).toMatchObject({ lines: 8, inserted: 8, skipped: 0 });
    const stored = await dataSource.query<{ model_version: string; shadow: boolean }[]>(
      `SELECT model_version, shadow FROM predictions ORDER BY model_version, request_id`,
    );
    expect(stored).toEqual([
      ...champion.map(() => ({ model_version: 'v1', shadow: false })),
      ...shadow.map(() => ({ model_version: 'v2', shadow: true })),
    ]);
    const positives = champion.filter((r) => r.prediction).length;
    const right = { labelled: 4, unlabelled: 0, tp: positives, tn: 4 - positives, fp: 0, fn: 0 };
    const wrong = { labelled: 4, unlabelled: 0, tp: 0, tn: 0, fp: 4 - positives, fn: positives };
    const byVersion = Object.fromEntries(confusion.map(({ version, ...row }) => [version, row]));
    expect(byVersion).toEqual({
      null: { ...right, lastPredictionAt: new Date(champion[3].ts) },
      v1: { ...right, lastPredictionAt: new Date(champion[3].ts) },
      v2: { ...wrong, lastPredictionAt: new Date(shadow[3].ts) },
    });
  });

  it('should store the instant when the time has an offset or lies centuries away', async () => {
    const times = [
      '2026-11-01T10:00:00.5+02:00',
      '1999-12-31T23:59:59.999Z',
      '1492-10-12T06:00:00.000Z',
    ];
    await write(logName(), jsonl(times.map((ts, i) => record(i, { ts }))));

    await ingester().ingest();

    const rows = await dataSource.query<{ predicted_at: Date }[]>(
      'SELECT predicted_at FROM predictions ORDER BY request_id',
    );
    expect(rows.map((r) => r.predicted_at.toISOString())).toEqual([
      '2026-11-01T08:00:00.500Z',
      '1999-12-31T23:59:59.999Z',
      '1492-10-12T06:00:00.000Z',
    ]);
  });

  it('should keep the batches already committed when a later batch fails, and load the rest once', async () => {
    await write(logName(), jsonl([...records(1, 29_999), record(30_000, { requestId: 'poison' })]));
    await append(logName(), jsonl(records(30_001, 45_000)));
    await dataSource.query(`
      CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.request_id = 'poison' THEN RAISE EXCEPTION 'poisoned line'; END IF;
        RETURN NEW;
      END $$`);
    await dataSource.query(
      'CREATE TRIGGER refuse_poison BEFORE INSERT ON predictions FOR EACH ROW EXECUTE FUNCTION refuse_poison()',
    );

    let failure: unknown;
    try {
      await ingester().ingest();
    } catch (error) {
      failure = error;
    } finally {
      await dataSource.query('DROP FUNCTION refuse_poison() CASCADE');
    }
    const committed = (await storedRequestIds()).length;
    const afterFailure = await checkpoint(logName());
    const retry = await ingester().ingest();

    expect(String(failure)).toContain('poisoned line');
    // The first batch (20,000 lines, rounded up to a read chunk) got in with its checkpoint.
    expect(committed).toBeGreaterThanOrEqual(20_000);
    expect(committed).toBeLessThan(30_000);
    expect(afterFailure).toMatchObject({ lines: String(committed) });
    expect(retry).toMatchObject({ inserted: 45_000 - committed, duplicates: 0 });
    expect(await storedRequestIds()).toHaveLength(45_000);
  });

  it('should find nothing when the log folder does not exist', async () => {
    await rm(dir, { recursive: true });

    const summary = await ingester().ingest();

    expect(summary).toMatchObject({ files: 0, filesRead: 0, lines: 0, inserted: 0 });
  });
});
