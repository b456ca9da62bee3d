import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import { BufferedLogger } from '../../../test/buffered.logger';
import { ScratchPostgres, startScratchPostgres } from '../../../test/scratch-postgres';
import { createScratchDatabase, migrateTestDatabase } from '../../../test/test-database';
import { predictThroughSigterm, until } from './sigterm-load';
import { call, metric, SpawnedService } from './spawned-service';
import { createTestApp, EXAMPLE_FEATURES as features, TestApp } from './test-app';

/** The rows of `predictions` per request id. */
async function storedByRequest(url: string): Promise<Map<string, number>> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ request_id: string; n: number }>(
      'SELECT request_id, count(*)::int AS n FROM predictions GROUP BY request_id',
    );
    return new Map(rows.map((r) => [r.request_id, r.n]));
  } finally {
    await client.end();
  }
}

const total = (rows: Map<string, number>) => [...rows.values()].reduce((a, b) => a + b, 0);

/** Posts single predictions, request ids `<prefix>-<i>`; the ids answered 200. */
async function predict(test: TestApp, prefix: string, count: number): Promise<string[]> {
  const answered: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = `${prefix}-${i}`;
    const response = await request(test.app.getHttpServer())
      .post('/predict')
      .set('x-request-id', id)
      .send({ id: i, features });
    if (response.status === 200) answered.push(id);
  }
  return answered;
}

/** Every answered request is one row, and nothing else is stored. */
function expectEachOnce(rows: Map<string, number>, answered: readonly string[]): void {
  expect([...rows.keys()].sort()).toEqual([...answered].sort());
  expect([...rows.values()].filter((n) => n !== 1)).toEqual([]);
}

describe('Each replica ingests its own prediction log (e2e)', () => {
  describe('every INGEST_INTERVAL', () => {
    let url: string;
    const apps: TestApp[] = [];

    beforeAll(async () => {
      url = await createScratchDatabase(`ingestion_interval_${process.pid}`);
      await migrateTestDatabase(url);
    });

    afterEach(async () => {
      for (const test of apps.splice(0)) await test.app.close();
    });

    it('should store every answered prediction exactly once within two intervals', async () => {
      const test = await createTestApp({ DATABASE_URL: url, INGEST_INTERVAL: '1' });
      apps.push(test);

      const answered = await predict(test, 'interval', 300);
      const last = Date.now();
      const rows = await until(
        'the predictions in PostgreSQL',
        async () => {
          const now = await storedByRequest(url);
          return total(now) >= answered.length ? now : undefined;
        },
        // Longer than the bound asserted below, so that the assertion is what decides.
        10_000,
      );
      const arrivedMs = Date.now() - last;
      // One more interval: nothing is loaded twice.
      await new Promise((done) => setTimeout(done, 1_500));

      expect(answered).toHaveLength(300);
      expect(arrivedMs).toBeLessThanOrEqual(2_000);
      expectEachOnce(rows, answered);
      expectEachOnce(await storedByRequest(url), answered);
      const metrics = await request(test.app.getHttpServer()).get('/metrics').expect(200);
      expect(metric(metrics.text, 'mle_prediction_log_ingested_lines_total')).toEqual([300]);
      expect(metric(metrics.text, 'mle_prediction_log_ingestion_seconds_count')[0]).toBeGreaterThan(
        1,
      );
    });

    it('should keep POST /retraining/evaluate ingesting what no tick has yet, then evaluating', async () => {
      // Only the first tick, at start: the lines below wait for the evaluation.
      const test = await createTestApp({ DATABASE_URL: url, INGEST_INTERVAL: '3600' });
      apps.push(test);
      const before = await storedByRequest(url);

      const answered = await predict(test, 'evaluate', 40);
      await new Promise((done) => setTimeout(done, 100));
      const response = await request(test.app.getHttpServer())
        .post('/retraining/evaluate')
        .set('Authorization', 'Bearer test-ops-token-0123456789')
        .expect(200);

      expect(response.body).toMatchObject({ ingestion: { inserted: 40, duplicates: 0 } });
      const rows = await storedByRequest(url);
      for (const id of before.keys()) rows.delete(id);
      expectEachOnce(rows, answered);
    });

    it('should not store a line twice when two processes ingest the same folder', async () => {
      const logDir = await mkdtemp(join(tmpdir(), 'mle-shared-logs-'));
      const env = { DATABASE_URL: url, INGEST_INTERVAL: '1', LOG_DIR: logDir };
      const first = await createTestApp(env);
      apps.push(first);
      const second = await createTestApp({ ...env, MODEL_DIR: first.modelDir });
      apps.push(second);
      const before = await storedByRequest(url);

      const answered = [
        ...(await predict(first, 'shared-a', 200)),
        ...(await predict(second, 'shared-b', 200)),
      ];
      await until(
        'the predictions of both processes',
        async () => (total(await storedByRequest(url)) - total(before) >= 400 ? true : undefined),
        5_000,
      );
      await new Promise((done) => setTimeout(done, 1_500));

      const rows = await storedByRequest(url);
      for (const id of before.keys()) rows.delete(id);
      expectEachOnce(rows, answered);
    });
  });

  describe('with the database down during a tick', () => {
    let server: ScratchPostgres;
    let test: TestApp | undefined;

    beforeAll(async () => {
      server = await startScratchPostgres();
      await migrateTestDatabase(server.url);
    });

    afterAll(async () => {
      await test?.app.close();
      await server.stop();
    });

    it('should keep serving, count the failures, and store the rows once the database is back', async () => {
      test = await createTestApp({ DATABASE_URL: server.url, INGEST_INTERVAL: '1' });
      const app = test.app.getHttpServer();
      const before = await predict(test, 'up', 50);
      await until(
        'the first rows',
        async () => (total(await storedByRequest(server.url)) >= 50 ? true : undefined),
        5_000,
      );

      await server.halt();
      const during = await predict(test, 'down', 50);
      // Two ticks or more fail.
      await new Promise((done) => setTimeout(done, 2_500));
      const down = await request(app).get('/metrics').expect(200);
      await server.resume();
      const rows = await until(
        'the rows answered while the database was down',
        async () => {
          const now = await storedByRequest(server.url).catch(() => undefined);
          return now && total(now) >= 100 ? now : undefined;
        },
        15_000,
      );

      expect(during).toHaveLength(50);
      expect(
        metric(down.text, 'mle_prediction_log_ingestion_failures_total')[0],
      ).toBeGreaterThanOrEqual(2);
      const warnings = BufferedLogger.lines().filter((line) =>
        line.includes('Prediction-log ingestion failed'),
      );
      expect(warnings).toHaveLength(1);
      expect(BufferedLogger.lines().join('\n')).toMatch(/ingestion works again after \d+ failed/);
      expectEachOnce(rows, [...before, ...during]);
    });
  });

  describe('with WORKERS=2', () => {
    it("should ingest in the primary alone and show its counts in every worker's /metrics", async () => {
      const url = await createScratchDatabase(`ingestion_workers_${process.pid}`);
      await migrateTestDatabase(url);
      const service = await SpawnedService.start(url, { env: { INGEST_INTERVAL: '1' } });
      try {
        const answered: string[] = [];
        for (let i = 0; i < 20; i++) {
          if ((await service.predict(i)).status === 200) answered.push(`w-${i}`);
        }
        const rows = await until(
          'the predictions of both workers',
          async () => {
            const now = await storedByRequest(url);
            return total(now) >= 20 ? now : undefined;
          },
          5_000,
        );
        // Each scrape on a connection of its own: both workers answer one.
        const scrapes = await Promise.all(
          [1, 2, 3, 4].map(() => call(service.port, 'GET', '/metrics')),
        );

        expectEachOnce(rows, answered);
        // One process ingests the folder: the primary, not the workers too.
        expect(service.logLines.filter((m) => /^Ingesting .* every 1 s/.test(m))).toHaveLength(1);
        for (const { status, body } of scrapes) {
          expect(status).toBe(200);
          expect(metric(body, 'mle_prediction_log_ingested_lines_total')).toEqual([20]);
          expect(metric(body, 'mle_predictions_total').reduce((a, b) => a + b, 0)).toBe(20);
        }
      } finally {
        await service.stop();
      }
    });
  });

  describe('on SIGTERM', () => {
    it.each([1, 2])(
      'should have stored every answered prediction by exit, under load, with WORKERS=%i',
      async (workers) => {
        const url = await createScratchDatabase(`ingestion_sigterm_${workers}_${process.pid}`);
        await migrateTestDatabase(url);
        // Ticks far apart: what the last lines need is the ingestion at shutdown.
        const service = await SpawnedService.start(url, {
          workers,
          env: { INGEST_INTERVAL: '600' },
        });

        const { answered, failed } = await predictThroughSigterm(service.port, features, () =>
          service.child.kill('SIGTERM'),
        );
        const code = await service.exited;

        expect(code).toBe(0);
        expect(answered.size).toBeGreaterThanOrEqual(200);
        expect(answered.size + failed).toBe(600);
        expectEachOnce(await storedByRequest(url), [...answered.keys()]);
        // One process ingests the folder: the single one, or the primary of the workers.
        expect(service.logLines.filter((m) => /^Ingesting .* every 600 s/.test(m))).toHaveLength(1);
        expect(service.logLines.join('\n')).toMatch(
          /Ingested \d+ new prediction-log lines at shutdown/,
        );
      },
    );
  });
});
