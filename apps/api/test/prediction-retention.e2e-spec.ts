import { JobRun, RetrainingMonitor } from '@app/mle/monitoring';
import { ModelRegistry } from '@app/mle/registry';
import { Client } from 'pg';
import request from 'supertest';
import {
  createScratchDatabase,
  dropScratchDatabase,
  migrateTestDatabase,
} from '../../../test/test-database';
import { appendPredictions } from './retraining-fixtures';
import { createTestApp, TestApp } from './test-app';

const DAY_MS = 86_400_000;
const OPS = 'test-ops-token-0123456789';
const utcDay = (at: Date) => at.toISOString().slice(0, 10);
const partitionOf = (at: Date) => `predictions_${utcDay(at).replaceAll('-', '')}`;
/** The start of the UTC day `days` from today (negative: before). */
const dayStart = (days: number) =>
  new Date(Date.parse(`${utcDay(new Date())}T00:00:00Z`) + days * DAY_MS);

describe('Storage of predictions (e2e)', () => {
  const database = `prediction_retention_${process.pid}`;
  let url: string;
  let db: Client;
  const apps: TestApp[] = [];

  const partitions = async (): Promise<string[]> =>
    (
      await db.query<{ name: string }>(
        `SELECT inhrelid::regclass::text AS name FROM pg_inherits
          WHERE inhparent = 'predictions'::regclass ORDER BY 1`,
      )
    ).rows.map((r) => r.name);
  const insert = (at: Date, requestId: string) =>
    db.query(
      `INSERT INTO predictions (id, request_id, input_id, predicted_at, model, model_version,
                                prediction, probability, features)
       VALUES (gen_random_uuid(), $1, $1, $2, 'sales-reorder', 'v0', true, 0.5, '{}')`,
      [requestId, at],
    );
  const dayPartition = (days: number) =>
    db.query(
      `CREATE TABLE ${partitionOf(dayStart(days))} PARTITION OF predictions
         FOR VALUES FROM ('${dayStart(days).toISOString()}') TO ('${dayStart(days + 1).toISOString()}')`,
    );
  const start = async (env: Record<string, string> = {}) => {
    const test = await createTestApp({ DATABASE_URL: url, ...env });
    apps.push(test);
    return test;
  };

  beforeAll(async () => {
    url = await createScratchDatabase(database);
    await migrateTestDatabase(url);
    db = new Client({ connectionString: url });
    await db.connect();
  });

  afterEach(async () => {
    while (apps.length) await apps.pop()?.app.close();
  });

  afterAll(async () => {
    await db.end();
    await dropScratchDatabase(database);
  });

  it('should create the partitions of today and the next 7 days when the service starts', async () => {
    await start();

    const expected = Array.from({ length: 8 }, (_, i) => partitionOf(dayStart(i)));
    expect(await partitions()).toEqual(
      expect.arrayContaining([...expected, 'predictions_default']),
    );
  });

  it('should drop the days older than PREDICTION_RETENTION_DAYS after the evaluation, keep the newer ones and the far-future row, and record it in the job run', async () => {
    for (const days of [-75, -70, -60]) await dayPartition(days);
    await insert(new Date(dayStart(-75).getTime() + 3_600_000), 'older-than-retention');
    await insert(new Date(dayStart(-70).getTime() + 3_600_000), 'older-too');
    await insert(new Date(dayStart(-60).getTime() + 3_600_000), 'inside-retention');
    await insert(new Date('2099-01-01T00:00:00Z'), 'far-future');
    const test = await start({ PREDICTION_RETENTION_DAYS: '65' });
    await insert(new Date(dayStart(-3).getTime() + 3_600_000), 'days-ago');

    const outcome = await test.app.get(RetrainingMonitor).run('manual');

    expect(outcome.status).toBe('completed');
    expect(await partitions()).not.toContain(partitionOf(dayStart(-75)));
    expect(await partitions()).not.toContain(partitionOf(dayStart(-70)));
    expect(await partitions()).toContain(partitionOf(dayStart(-60)));
    const kept = await db.query<{ request_id: string; partition: string }>(
      `SELECT request_id, tableoid::regclass::text AS partition FROM predictions
        ORDER BY predicted_at`,
    );
    expect(kept.rows).toEqual([
      { request_id: 'inside-retention', partition: partitionOf(dayStart(-60)) },
      // Caught by the DEFAULT partition at first; its day is inside the retention.
      { request_id: 'days-ago', partition: partitionOf(dayStart(-3)) },
      { request_id: 'far-future', partition: 'predictions_default' },
    ]);
    const status = await request(test.app.getHttpServer())
      .get('/retraining/status')
      .set('Authorization', `Bearer ${OPS}`)
      .expect(200);
    const run = (status.body as { lastRun: JobRun }).lastRun;
    expect(run.partitions).toMatchObject({
      retentionDays: 65,
      dropped: [
        { name: partitionOf(dayStart(-75)), from: dayStart(-75).toISOString() },
        { name: partitionOf(dayStart(-70)), from: dayStart(-70).toISOString() },
      ],
      created: [{ name: partitionOf(dayStart(-3)), moved: 1 }],
      errors: [],
    });
  });

  it("should load logged lines of past days into their days' partitions, not the DEFAULT one", async () => {
    const test = await start();
    const version = test.app.get(ModelRegistry).first.current!.manifest.version;
    const days = [-12, -11, 0];
    await appendPredictions(
      test.logDir,
      version,
      days.map((d, i) => ({
        inputId: `backfill-${i}`,
        prediction: true,
        ts: new Date(dayStart(d).getTime() + 3_600_000),
      })),
    );

    const outcome = await test.app.get(RetrainingMonitor).run('manual');

    expect(outcome.status).toBe('completed');
    const stored = await db.query<{ input_id: string; partition: string }>(
      `SELECT input_id, tableoid::regclass::text AS partition FROM predictions
        WHERE input_id LIKE 'backfill-%' ORDER BY predicted_at`,
    );
    expect(stored.rows).toEqual(
      days.map((d, i) => ({ input_id: `backfill-${i}`, partition: partitionOf(dayStart(d)) })),
    );
    // None of them had to be moved: the nightly step found the DEFAULT partition without them.
    expect(outcome.status === 'completed' && outcome.partitions.created).toEqual([]);
  });
});
