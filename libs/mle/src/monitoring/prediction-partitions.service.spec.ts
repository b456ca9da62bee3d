import { DataSource } from 'typeorm';
import {
  createScratchDatabase,
  dropScratchDatabase,
  migrateTestDatabase,
  openTestDataSource,
} from '../../../../test/test-database';
import { DEFAULT_MLE_OPTIONS, MleOptions } from '../module/mle.options';
import { churnTestPlugin } from '../testing/churn/churn.plugin';
import { DEFAULT_MONITORING_OPTIONS } from './monitoring.options';
import { PredictionPartitions } from './prediction-partitions.service';
import { PredictionPartitionRepository } from './repositories/prediction-partition.repository';

const DAY_MS = 86_400_000;
const NOW = new Date('2030-01-10T02:00:00Z');
const daysBefore = (days: number, hour = 12) => new Date(Date.UTC(2030, 0, 10 - days, hour, 30));
const dayStart = (days: number) => new Date(Date.UTC(2030, 0, 10 - days));

describe(PredictionPartitions.name, () => {
  const database = `prediction_partitions_${process.pid}`;
  let dataSource: DataSource;

  const service = (monitoring: Partial<MleOptions['monitoring']> = {}) =>
    new PredictionPartitions(new PredictionPartitionRepository(dataSource), {
      ...DEFAULT_MLE_OPTIONS,
      modelDir: 'unused',
      monitoring: { ...DEFAULT_MONITORING_OPTIONS, lockTimeoutMs: 5_000, ...monitoring },
    });
  const partitions = async () =>
    (await new PredictionPartitionRepository(dataSource).list()).map((p) => p.name);
  let inserted = 0;
  const insert = async (at: Date): Promise<string> => {
    inserted += 1;
    const [{ seq }] = await dataSource.query<{ seq: string }[]>(
      `INSERT INTO predictions (id, request_id, input_id, predicted_at, model, model_version,
                                prediction, probability, features)
       VALUES (gen_random_uuid(), $1, $1, $2, 'test-model', 'v1', true, 0.5, '{}')
       RETURNING seq`,
      [`r-${inserted}`, at],
    );
    return seq;
  };
  /** Where each row is: its partition, by request id. */
  const placement = async () =>
    dataSource.query<{ partition: string; seq: string; predicted_at: Date }[]>(
      `SELECT tableoid::regclass::text AS partition, seq, predicted_at
         FROM predictions ORDER BY predicted_at`,
    );

  beforeAll(async () => {
    const url = await createScratchDatabase(database);
    await migrateTestDatabase(url, { plugins: [churnTestPlugin] });
    dataSource = await openTestDataSource(url, [churnTestPlugin]);
  });

  afterAll(async () => {
    await dataSource.destroy();
    await dropScratchDatabase(database);
  });

  beforeEach(async () => {
    for (const name of await partitions()) {
      if (name !== 'predictions_default') await dataSource.query(`DROP TABLE ${name}`);
    }
    await dataSource.query('TRUNCATE predictions');
  });

  it('should create the partitions of today and the days ahead once when prepared twice', async () => {
    const first = await service({ partitionsAheadDays: 7 }).prepare(NOW);
    const second = await service({ partitionsAheadDays: 7 }).prepare(NOW);

    expect(first.map((p) => p.day)).toEqual(
      Array.from({ length: 8 }, (_, i) => new Date(NOW.getTime() + i * DAY_MS))
        .map((d) => d.toISOString().slice(0, 10))
        .sort(),
    );
    expect(second).toEqual([]);
    expect(await partitions()).toEqual([
      'predictions_20300110',
      'predictions_20300111',
      'predictions_20300112',
      'predictions_20300113',
      'predictions_20300114',
      'predictions_20300115',
      'predictions_20300116',
      'predictions_20300117',
      'predictions_default',
    ]);
  });

  it("should move a day's rows from the DEFAULT partition into the day's partition when it is created, keeping their seq", async () => {
    const yesterday = [await insert(daysBefore(1, 0)), await insert(daysBefore(1, 23))];
    const ahead = await insert(new Date(NOW.getTime() + 3 * DAY_MS));
    expect((await placement()).map((r) => r.partition)).toEqual([
      'predictions_default',
      'predictions_default',
      'predictions_default',
    ]);

    const created = await service({ partitionsAheadDays: 7 }).prepare(NOW);

    expect(created).toContainEqual({ name: 'predictions_20300109', day: '2030-01-09', moved: 2 });
    expect(created).toContainEqual({ name: 'predictions_20300113', day: '2030-01-13', moved: 1 });
    expect(await placement()).toEqual([
      { partition: 'predictions_20300109', seq: yesterday[0], predicted_at: daysBefore(1, 0) },
      { partition: 'predictions_20300109', seq: yesterday[1], predicted_at: daysBefore(1, 23) },
      {
        partition: 'predictions_20300113',
        seq: ahead,
        predicted_at: new Date(NOW.getTime() + 3 * DAY_MS),
      },
    ]);
  });

  it('should keep a far-future row in the DEFAULT partition, lose no row, and file it once its day comes within reach', async () => {
    const farFuture = new Date('2031-06-01T08:00:00Z');
    await service({ partitionsAheadDays: 7 }).prepare(NOW);
    await insert(daysBefore(0));
    const seq = await insert(farFuture);

    await service({ partitionsAheadDays: 7 }).prepare(NOW);

    expect(await placement()).toEqual([
      { partition: 'predictions_20300110', seq: expect.any(String), predicted_at: daysBefore(0) },
      { partition: 'predictions_default', seq, predicted_at: farFuture },
    ]);
    await service({ partitionsAheadDays: 7 }).prepare(new Date('2031-05-30T00:00:00Z'));
    expect((await placement()).at(-1)).toEqual({
      partition: 'predictions_20310601',
      seq,
      predicted_at: farFuture,
    });
  });

  it('should drop the partitions entirely older than the retention and keep every newer row', async () => {
    const partitionsOf = service({ retentionDays: 60, windowDays: 30, labelDelayDays: 30 });
    for (const days of [62, 61, 60, 59, 1]) {
      await dataSource.query(
        `CREATE TABLE predictions_${daysBefore(days).toISOString().slice(0, 10).replaceAll('-', '')}
           PARTITION OF predictions FOR VALUES FROM ($$${dayStart(days).toISOString()}$$)
           TO ($$${dayStart(days - 1).toISOString()}$$)`,
      );
      await insert(daysBefore(days));
    }
    // Rows of days without a partition: two older than the retention, one newer.
    await dataSource.query(`DROP TABLE predictions_20291110`);
    await insert(daysBefore(61));
    await insert(daysBefore(80));
    await insert(daysBefore(30));
    // Older than the cutoff, in the partition of the day the cutoff falls on.
    await insert(daysBefore(60, 1));

    const report = await partitionsOf.applyRetention(NOW);

    // The cutoff, 60 days before 02:00, falls inside the day 60 days back: that day stays.
    expect(report).toMatchObject({
      retentionDays: 60,
      cutoff: new Date(NOW.getTime() - 60 * DAY_MS).toISOString(),
      deletedFromDefault: 2,
    });
    expect(report.dropped.map((p) => p.name)).toEqual(['predictions_20291109']);
    expect(report.dropped[0]).toMatchObject({
      from: '2029-11-09T00:00:00.000Z',
      to: '2029-11-10T00:00:00.000Z',
      bytes: expect.any(Number),
    });
    expect((await placement()).map((r) => [r.partition, r.predicted_at])).toEqual([
      ['predictions_20291111', daysBefore(60, 1)],
      ['predictions_20291111', daysBefore(60)],
      ['predictions_20291112', daysBefore(59)],
      ['predictions_default', daysBefore(30)],
      ['predictions_20300109', daysBefore(1)],
    ]);
    await expect(partitionsOf.applyRetention(NOW)).resolves.toMatchObject({
      dropped: [],
      deletedFromDefault: 0,
    });
  });

  it('should drop nothing and say why when the retention is below the evaluation window plus the label delay', async () => {
    await dataSource.query(
      `CREATE TABLE predictions_20290101 PARTITION OF predictions
         FOR VALUES FROM ('2029-01-01T00:00:00Z') TO ('2029-01-02T00:00:00Z')`,
    );

    const tooShort = service({ retentionDays: 45, windowDays: 30, labelDelayDays: 30 });

    await expect(tooShort.applyRetention(NOW)).rejects.toThrow(
      'retention of 45 days is below the minimum of 60',
    );
    await expect(tooShort.maintain(NOW)).resolves.toMatchObject({
      dropped: [],
      errors: [expect.stringContaining('below the minimum of 60')],
    });
    expect(await partitions()).toContain('predictions_20290101');
  });
});
