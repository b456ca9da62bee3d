import { DEFAULT_MLE_OPTIONS } from '@app/mle/module';
import { EVALUATION_JOB } from '@app/mle/monitoring';
import { ModelArtifactStore } from '@app/mle/registry';
import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import { ANALYST_ROLE } from '../../../migrations/1795710100000-CreateAnalystRole';
import { dropScratchDatabase, urlAs } from '../../../test/test-database';
import { appendPredictions, emptyDir, scratchDatabaseWithDemo } from './retraining-fixtures';
import { LabelledTableSql } from '@app/mle/data';
import { createTestApp, DEFAULT_PLUGIN, modelDirWithModels, modelName, TestApp } from './test-app';
import { until } from './sigterm-load';

// The default model's labels table: the one the evaluation reads and an analyst may lock.
const { rows: ROWS_TABLE, labels: LABELS_CONFIG } = DEFAULT_PLUGIN.data!;
const LABELS = new LabelledTableSql(ROWS_TABLE, LABELS_CONFIG, []);
const LABELS_TABLE = LABELS_CONFIG.table;
const OPS = 'test-ops-token-0123456789';

interface JobRunRow {
  id: string;
  trigger: string;
  status: string;
  scheduled_for: Date;
  error: string | null;
}

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** The previous 02:00 UTC: the slot the catch-up of `0 2 * * *` runs for. */
function previous0200(): Date {
  const at = new Date();
  at.setUTCHours(2, 0, 0, 0);
  if (at > new Date()) at.setUTCDate(at.getUTCDate() - 1);
  return at;
}

describe('Retraining runs under faults (e2e)', () => {
  const database = `retraining_faults_${process.pid}`;
  let url: string;
  let db: Client;
  let modelDir: string;
  let logDir: string;
  let version: string;
  let labelled: { id: string; label: boolean }[];
  let nextLine = 0;
  const apps: TestApp[] = [];
  const children: ChildProcess[] = [];

  /** New labelled prediction lines: the next evaluation folds them in, reading the labels. */
  async function newPredictions(n = 5): Promise<void> {
    const rows = labelled.slice(nextLine, nextLine + n);
    nextLine += n;
    await appendPredictions(
      logDir,
      version,
      rows.map((r) => ({ inputId: r.id, prediction: r.label })),
    );
  }

  async function app(env: Record<string, string> = {}): Promise<TestApp> {
    // Silent: the failures these tests cause are expected.
    const test = await createTestApp(
      { DATABASE_URL: url, MODEL_DIR: modelDir, LOG_DIR: logDir, ...env },
      { logger: false },
    );
    apps.push(test);
    return test;
  }

  /** The service as deployed: a process of its own, its output collected. */
  async function service(
    env: Record<string, string>,
  ): Promise<{ child: ChildProcess; output: () => string }> {
    let output = '';
    const child = spawn(process.execPath, [resolve('dist/apps/api/src/main.js')], {
      env: {
        ...process.env,
        NODE_ENV: 'test',
        PORT: String(await freePort()),
        HOST: '127.0.0.1',
        DATABASE_URL: url,
        MODEL_DIR: modelDir,
        LOG_DIR: logDir,
        OPS_TOKEN: OPS,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    children.push(child);
    return { child, output: () => output };
  }

  async function runs(): Promise<JobRunRow[]> {
    return (
      await db.query<JobRunRow>(
        `SELECT id::text, trigger, status, scheduled_for, error FROM job_runs WHERE job = $1 ORDER BY id`,
        [EVALUATION_JOB],
      )
    ).rows;
  }

  beforeAll(async () => {
    url = await scratchDatabaseWithDemo(database, { rows: 1_000, now: new Date() });
    modelDir = await modelDirWithModels();
    logDir = await emptyDir('mle-retraining-faults-');
    const store = new ModelArtifactStore({ ...DEFAULT_MLE_OPTIONS, modelDir });
    version = (await store.currentVersion(modelName())) ?? '';
    db = new Client({ connectionString: url });
    await db.connect();
    labelled = (
      await db.query<{ id: string; label: boolean }>(
        `SELECT input_id AS id, label FROM ${LABELS.labelLookup()} l
          WHERE label IS NOT NULL ORDER BY input_id LIMIT 200`,
      )
    ).rows;
  });

  afterEach(async () => {
    while (apps.length) await apps.pop()?.app.close();
    for (const child of children.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((done) => child.on('exit', done));
        child.kill('SIGKILL');
        await exited;
      }
    }
  });

  afterAll(async () => {
    await db.end();
    await dropScratchDatabase(database);
  });

  it('should mark a killed run abandoned and run the missed night at the next start', async () => {
    await db.query(`DELETE FROM model_evaluations; DELETE FROM job_runs`);
    await newPredictions();
    const slot = previous0200();
    // Holds the catch-up mid-way: it waits for the labels table.
    const holder = new Client({ connectionString: url });
    await holder.connect();
    await holder.query(`BEGIN; LOCK TABLE ${LABELS.labelsTable} IN ACCESS EXCLUSIVE MODE`);
    try {
      const first = await service({ EVALUATION_CRON: '0 2 * * *', EVALUATION_LOCK_TIMEOUT: '120' });
      await until('the catch-up to wait for the labels table', async () => {
        // A wait for the labels table itself: other short waits happen at start (the partitions
        // of predictions being created by the ingestion and the start-up step in turn).
        const { rows } = await db.query(
          `SELECT 1 FROM pg_locks WHERE NOT granted AND relation = $1::regclass`,
          [LABELS.labelsTable],
        );
        return rows.length > 0 ? true : undefined;
      });
      expect(await runs()).toEqual([
        expect.objectContaining({ trigger: 'catch-up', status: 'running', scheduled_for: slot }),
      ]);
      const exited = new Promise((done) => first.child.on('exit', done));
      first.child.kill('SIGKILL');
      await exited;

      const observer = await app();
      const status = await request(observer.app.getHttpServer())
        .get('/retraining/status')
        .set('Authorization', `Bearer ${OPS}`)
        .expect(200);
      expect(status.body.running).toBe(false);
      expect(status.body.lastRun).toMatchObject({
        status: 'abandoned',
        error: expect.stringMatching(/stopped before it finished/),
      });
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }

    const second = await service({ EVALUATION_CRON: '0 2 * * *' });
    await until('the catch-up to succeed', async () =>
      (await runs()).some((r) => r.status === 'succeeded') ? true : undefined,
    );
    expect(await runs()).toEqual([
      expect.objectContaining({ trigger: 'catch-up', status: 'abandoned', scheduled_for: slot }),
      expect.objectContaining({ trigger: 'catch-up', status: 'succeeded', scheduled_for: slot }),
    ]);
    await until('the catch-up log line', async () =>
      /did not happen.*abandoned|abandoned.*running it now/.test(second.output())
        ? true
        : undefined,
    );
  });

  describe('against the analyst role', () => {
    let analyst: Client;

    beforeEach(async () => {
      analyst = new Client({
        connectionString: urlAs(ANALYST_ROLE, process.env.ANALYST_PASSWORD ?? '', url),
      });
      await analyst.connect();
    });

    afterEach(async () => {
      await analyst.end();
    });

    it('should evaluate while the analyst holds the old advisory lock', async () => {
      const test = await app();
      await newPredictions();
      await analyst.query(`SELECT pg_advisory_lock(hashtext('mle-service:' || $1))`, [
        EVALUATION_JOB,
      ]);

      await request(test.app.getHttpServer())
        .post('/retraining/evaluate')
        .set('Authorization', `Bearer ${OPS}`)
        .expect(200);
    });

    it('should not let the analyst take the evaluation lock, and keep its reads', async () => {
      await expect(
        analyst.query(`SELECT job FROM job_locks WHERE job = $1 FOR UPDATE NOWAIT`, [
          EVALUATION_JOB,
        ]),
      ).rejects.toThrow(/permission denied/);
      const { rows } = await analyst.query(`SELECT count(*)::int AS n FROM job_runs`);
      expect(rows[0].n).toBeGreaterThanOrEqual(0);
      const locks = await analyst.query(`SELECT job FROM job_locks`);
      expect(locks.rows).toContainEqual({ job: EVALUATION_JOB });
    });

    it('should fail after EVALUATION_LOCK_TIMEOUT naming the lock and its role, then run again', async () => {
      const test = await app({ EVALUATION_LOCK_TIMEOUT: '1' });
      await newPredictions();
      await analyst.query(`BEGIN; LOCK TABLE ${LABELS.labelsTable} IN ACCESS EXCLUSIVE MODE`);
      // Bounded: the lock goes after 15 s whatever happens.
      const release = setTimeout(() => void analyst.query('ROLLBACK'), 15_000);
      const started = Date.now();
      let response: request.Response;
      try {
        response = await request(test.app.getHttpServer())
          .post('/retraining/evaluate')
          .set('Authorization', `Bearer ${OPS}`);
      } finally {
        clearTimeout(release);
        await analyst.query('ROLLBACK');
      }
      const waited = Date.now() - started;

      expect(response.status).toBe(503);
      expect(waited).toBeLessThan(10_000);
      expect(response.body.detail).toMatch(/recorded as job run \d+/);
      expect(response.body.detail).toMatch(
        new RegExp(`${LABELS_TABLE}.*AccessExclusiveLock.*role analyst`),
      );
      const [last] = (await runs()).slice(-1);
      expect(last).toMatchObject({
        status: 'failed',
        error: expect.stringMatching(new RegExp(`lock.*${LABELS_TABLE}.*role analyst`)),
      });

      const again = await request(test.app.getHttpServer())
        .post('/retraining/evaluate')
        .set('Authorization', `Bearer ${OPS}`)
        .expect(200);
      expect(again.body.ingestion.inserted).toBe(0);
      expect(again.body.outcomes.predictions).toBe(5);
    });
  });

  it('should bound the wait for every table the evaluation reads, not only the labels', async () => {
    const test = await app({ EVALUATION_LOCK_TIMEOUT: '1' });
    // No new lines: only drift reads the daily feature counts.
    const holder = new Client({ connectionString: url });
    await holder.connect();
    await holder.query('BEGIN; LOCK TABLE prediction_feature_counts IN ACCESS EXCLUSIVE MODE');
    const release = setTimeout(() => void holder.query('ROLLBACK'), 15_000);
    const started = Date.now();
    let response: request.Response;
    try {
      response = await request(test.app.getHttpServer())
        .post('/retraining/evaluate')
        .set('Authorization', `Bearer ${OPS}`);
    } finally {
      clearTimeout(release);
      await holder.query('ROLLBACK');
      await holder.end();
    }

    expect(response.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(response.body.detail).toMatch(/table prediction_feature_counts is locked/);
  });

  it('should not claim a failure was recorded when job_runs cannot be written', async () => {
    const test = await app();
    await db.query(`
      CREATE FUNCTION refuse_job_run_update() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'job_runs is unavailable'; END $$;
      CREATE TRIGGER refuse_job_run_update BEFORE UPDATE ON job_runs
        FOR EACH ROW EXECUTE FUNCTION refuse_job_run_update();
      ALTER TABLE model_evaluations RENAME TO model_evaluations_away`);
    let detail: string;
    try {
      const response = await request(test.app.getHttpServer())
        .post('/retraining/evaluate')
        .set('Authorization', `Bearer ${OPS}`)
        .expect(500);
      detail = response.body.detail as string;
    } finally {
      await db.query(`
        ALTER TABLE model_evaluations_away RENAME TO model_evaluations;
        DROP TRIGGER refuse_job_run_update ON job_runs;
        DROP FUNCTION refuse_job_run_update()`);
    }
    expect(detail).not.toMatch(/recorded as job run/);
    expect(detail).toMatch(/could not be recorded/);

    const status = await request(test.app.getHttpServer())
      .get('/retraining/status')
      .set('Authorization', `Bearer ${OPS}`)
      .expect(200);
    expect(status.body.lastRun).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/model_evaluations/),
    });
  });
});
