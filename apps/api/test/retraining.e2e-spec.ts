import {
  Evaluation,
  EVALUATION_JOB,
  RetrainingEvents,
  RetrainingMonitor,
} from '@app/mle/monitoring';
import { ModelRegistry } from '@app/mle/registry';
import { churnTestPlugin } from '@app/mle/testing';
import { readFile } from 'node:fs/promises';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import { BufferedLogger } from '../../../test/buffered.logger';
import { dropScratchDatabase } from '../../../test/test-database';
import { appendPredictions, emptyDir, scratchDatabaseWithDemo } from './retraining-fixtures';
import { CreateAppOptions } from '../src/app.factory';
import { createTestApp, examplesOf, modelDirWithModels, TestApp } from './test-app';

const OPS = 'test-ops-token-0123456789';
// The monitor of the kit's test plug-in, served alone: its labels are written here by hand.
const plugins = [churnTestPlugin];
const MODEL = 'churn';
const CHURN = { model: MODEL, features: examplesOf(churnTestPlugin)[0] };
const servedVersion = (test: TestApp) =>
  test.app.get(ModelRegistry).first.current!.manifest.version;

/** The evaluation of the one model from a run that completed. */
function evaluationOf(outcome: Awaited<ReturnType<RetrainingMonitor['run']>>): Evaluation {
  if (outcome.status !== 'completed') throw new Error(`the run was ${outcome.status}`);
  return outcome.evaluations[0];
}

describe('Retraining monitor (e2e)', () => {
  const database = `retraining_${process.pid}`;
  let url: string;
  let modelDir: string;
  let logDir: string;
  let labels: { id: string; label: boolean }[];
  let unlabelled: string[];
  const apps: TestApp[] = [];
  /** Appends prediction log lines of the test plug-in's model (see `appendPredictions`). */
  const append = (
    version: string,
    predictions: Parameters<typeof appendPredictions>[2],
    file?: string,
  ) => appendPredictions(logDir, version, predictions, file, CHURN);

  async function app(
    env: Record<string, string> = {},
    options: CreateAppOptions = {},
  ): Promise<TestApp> {
    const test = await createTestApp(
      { DATABASE_URL: url, MODEL_DIR: modelDir, LOG_DIR: logDir, ...env },
      { plugins, ...options },
    );
    apps.push(test);
    return test;
  }

  /**
   * An app with a MODEL_DIR of its own whose version (new, without predictions yet) is made the
   * champion: otherwise the app would follow the champion an earlier test recorded, which the
   * database stores.
   */
  async function appWithNewVersion(env: Record<string, string> = {}): Promise<TestApp> {
    const dir = await modelDirWithModels(plugins);
    const test = await app({ MODEL_DIR: dir, ...env });
    const version = (await readFile(join(dir, CHURN.model, 'current'), 'utf8')).trim();
    await request(test.app.getHttpServer())
      .post(`/models/${CHURN.model}/promote`)
      .set('Authorization', `Bearer ${OPS}`)
      .send({ version, reason: 'a version of its own for this test' })
      .expect(200);
    expect(servedVersion(test)).toBe(version);
    return test;
  }

  async function evaluate(test: TestApp): Promise<Evaluation> {
    const response = await request(test.app.getHttpServer())
      .post('/retraining/evaluate')
      .set('Authorization', `Bearer ${OPS}`)
      .expect(200);
    return response.body as Evaluation;
  }

  beforeAll(async () => {
    url = await scratchDatabaseWithDemo(database, { rows: 3_000, now: new Date() }, plugins);
    modelDir = await modelDirWithModels(plugins);
    logDir = await emptyDir('mle-retraining-logs-');
    const client = new Client({ connectionString: url });
    await client.connect();
    labels = (
      await client.query<{ id: string; label: boolean }>(
        `SELECT subscription_id::text AS id, churned AS label FROM churn_outcomes
          WHERE churned IS NOT NULL ORDER BY subscription_id LIMIT 400`,
      )
    ).rows;
    unlabelled = (
      await client.query<{ id: string }>(
        `SELECT id::text FROM churn_subscriptions s
          WHERE NOT EXISTS (SELECT FROM churn_outcomes WHERE subscription_id = s.id) LIMIT 3`,
      )
    ).rows.map((r) => r.id);
    await client.end();
  });

  afterEach(async () => {
    while (apps.length) await apps.pop()?.app.close();
  });

  afterAll(async () => {
    await dropScratchDatabase(database);
  });

  it('should count the confusion matrix by hand, with coverage and the latest prediction per input', async () => {
    const test = await app();
    const version = servedVersion(test);
    // 4 true positives, 1 false positive, 3 true negatives, 2 false negatives, 3 without label.
    const pick = (want: boolean, n: number, skip = 0) =>
      labels
        .filter((l) => l.label === want)
        .slice(skip, skip + n)
        .map((l) => l.id);
    const [tp, fn] = [pick(true, 4), pick(true, 2, 4)];
    const [tn, fp] = [pick(false, 3), pick(false, 1, 3)];
    // An earlier, opposite answer for one input: the later one counts.
    await append(version, [
      { inputId: tp[0], prediction: false, ts: new Date(Date.now() - 7_200_000) },
    ]);
    await append(version, [
      ...tp.map((inputId) => ({ inputId, prediction: true })),
      ...fp.map((inputId) => ({ inputId, prediction: true })),
      ...tn.map((inputId) => ({ inputId, prediction: false })),
      ...fn.map((inputId) => ({ inputId, prediction: false })),
      ...unlabelled.map((inputId) => ({ inputId, prediction: true })),
    ]);

    const evaluation = await evaluate(test);

    expect(evaluation.ingestion).toMatchObject({ inserted: 14, skipped: 0 });
    const [current] = evaluation.metrics.versions;
    expect(current).toMatchObject({ version, labelled: 10, unlabelled: 3 });
    expect(current.labelCoverage).toBeCloseTo(10 / 13, 12);
    expect(current.metrics.confusion).toEqual({
      truePositive: 4,
      falsePositive: 1,
      trueNegative: 3,
      falseNegative: 2,
    });
    expect(current.metrics.accuracy).toBeCloseTo(0.7, 12);
    expect(current.metrics.precision).toBeCloseTo(0.8, 12);
    expect(current.metrics.recall).toBeCloseTo(4 / 6, 12);
    expect(current.metrics.majorityClassAccuracy).toBeCloseTo(0.6, 12);
    expect(evaluation).toMatchObject({
      recommendation: 'INSUFFICIENT_DATA',
      labelled: 10,
      modelVersion: version,
    });
    expect(evaluation.reasons[0]).toMatch(/only 10 labelled predictions/);
  });

  it('should decide at the edges: 199 labels, then exactly 0.70 on 200, then just below', async () => {
    // A model directory of its own: a new current version with no predictions yet.
    // Hand-made lines repeat one input, so every feature drifts (a WATCH): this test is about
    // the labels' verdicts, so drift is made never significant.
    const test = await appWithNewVersion({ MIN_LABELED: '200', DRIFT_PSI_SIGNIFICANT: '1000' });
    const version = servedVersion(test);
    const lines = labels.slice(0, 201).map((l, i) => ({
      inputId: l.id,
      // 140 right among the first 200; the 201st is wrong.
      prediction: i < 140 ? l.label : !l.label,
    }));
    const file = 'predictions-testhost-2-2026-01-01.jsonl';
    const decide = async () => evaluationOf(await test.app.get(RetrainingMonitor).run('manual'));

    await append(version, [...lines.slice(0, 139), ...lines.slice(140, 200)], file);
    const with199 = await decide();
    expect(with199).toMatchObject({
      modelVersion: version,
      labelled: 199,
      recommendation: 'INSUFFICIENT_DATA',
    });

    await append(version, [lines[139]], file);
    const with200 = await decide();
    expect(with200).toMatchObject({ labelled: 200, accuracy: 0.7, recommendation: 'OK' });

    await append(version, [lines[200]], file);
    const with201 = await decide();
    expect(with201.labelled).toBe(201);
    expect(with201.accuracy).toBeLessThan(0.7);
    expect(with201.recommendation).toBe('RETRAIN');
  });

  it('should keep the latest prediction of an input when lines arrive out of order across runs', async () => {
    const test = await appWithNewVersion();
    const version = servedVersion(test);
    const [input] = labels;
    const file = 'predictions-testhost-4-2026-01-01.jsonl';
    const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000);
    const run = async () => {
      const evaluation = evaluationOf(await test.app.get(RetrainingMonitor).run('manual'));
      return evaluation.metrics.versions.find((v) => v.version === version)?.metrics.confusion;
    };
    const right = input.label;

    await append(version, [{ inputId: input.id, prediction: right, ts: hoursAgo(2) }], file);
    const first = await run();
    // An older answer loaded later (another replica's file read late) does not replace it…
    await append(version, [{ inputId: input.id, prediction: !right, ts: hoursAgo(3) }], file);
    expect(await run()).toEqual(first);
    // …a newer one does.
    await append(version, [{ inputId: input.id, prediction: !right, ts: hoursAgo(1) }], file);
    const last = await run();
    expect(last).not.toEqual(first);
    const wrong = right
      ? { truePositive: 0, falsePositive: 0, trueNegative: 0, falseNegative: 1 }
      : { truePositive: 0, falsePositive: 1, trueNegative: 0, falseNegative: 0 };
    expect(last).toEqual(wrong);
  });

  it('should count a label that arrives late, and follow a corrected, cleared or deleted one', async () => {
    const test = await appWithNewVersion();
    const version = servedVersion(test);
    const client = new Client({ connectionString: url });
    await client.connect();
    const late = (
      await client.query<{ id: string }>(
        `SELECT id::text FROM churn_subscriptions s
          WHERE NOT EXISTS (SELECT FROM churn_outcomes WHERE subscription_id = s.id)
          ORDER BY id DESC LIMIT 1`,
      )
    ).rows[0].id;
    const run = async () => {
      const evaluation = evaluationOf(await test.app.get(RetrainingMonitor).run('manual'));
      const current = evaluation.metrics.versions.find((v) => v.version === version);
      return { outcomes: evaluation.outcomes, current };
    };
    const label = (churned: boolean | null) =>
      client.query(
        `INSERT INTO churn_outcomes (subscription_id, churned) VALUES ($1, $2)
         ON CONFLICT (subscription_id) DO UPDATE SET churned = EXCLUDED.churned`,
        [late, churned],
      );
    const remove = () =>
      client.query(`DELETE FROM churn_outcomes WHERE subscription_id = $1`, [late]);
    try {
      await append(
        version,
        [
          { inputId: labels[0].id, prediction: labels[0].label },
          { inputId: late, prediction: true },
        ],
        'predictions-testhost-3-2026-01-01.jsonl',
      );
      const before = await run();
      expect(before.current).toMatchObject({ labelled: 1, unlabelled: 1 });

      // The label arrives (a row in the labels table): the trigger's change time counts.
      await label(true);
      const labelled = await run();
      expect(labelled.outcomes).toMatchObject({ predictions: 0, labelsChanged: 1 });
      expect(labelled.current).toMatchObject({ labelled: 2, unlabelled: 0 });
      expect(labelled.current?.metrics.confusion.truePositive).toBe(labels[0].label ? 2 : 1);

      await label(false);
      const corrected = await run();
      expect(corrected.current?.metrics.confusion.falsePositive).toBe(1);

      await label(null);
      const cleared = await run();
      expect(cleared.current).toMatchObject({ labelled: 1, unlabelled: 1 });

      // Labelled again, then its row deleted: a withdrawn label, not one kept for ever.
      await label(true);
      expect((await run()).current).toMatchObject({ labelled: 2, unlabelled: 0 });
      await remove();
      const withdrawn = await run();
      expect(withdrawn.outcomes).toMatchObject({ labelsChanged: 1 });
      expect(withdrawn.current).toEqual(cleared.current);

      // Nothing changed: nothing is counted twice.
      const again = await run();
      expect(again.outcomes).toMatchObject({ predictions: 0, labelsChanged: 0 });
      expect(again.current).toEqual(withdrawn.current);
    } finally {
      await remove();
      await client.end();
    }
  });

  it('should ask for RETRAINING_STATUS_TOKEN or OPS_TOKEN on the status once it is set', async () => {
    const token = 'status-token-0123456789';
    const test = await app({ RETRAINING_STATUS_TOKEN: token });
    const status = () => request(test.app.getHttpServer()).get('/retraining/status');
    const refused = await status().expect(401);
    expect(refused.headers['www-authenticate']).toBe('Bearer');
    expect(refused.body.detail).toMatch(/Bearer <RETRAINING_STATUS_TOKEN or OPS_TOKEN>/);
    await status().set('Authorization', 'Bearer another-token-0123456789').expect(401);
    const answered = await status().set('Authorization', `Bearer ${token}`).expect(200);
    expect(answered.body).toMatchObject({ view: 'full', recommendation: expect.any(String) });
    const asOps = await status().set('Authorization', `Bearer ${OPS}`).expect(200);
    expect(asOps.body.view).toBe('full');
  });

  it('should refuse a wrong token on the open status, and ignore any when no token is configured', async () => {
    const wrong = 'Bearer another-token-0123456789';
    const open = await app();
    await request(open.app.getHttpServer())
      .get('/retraining/status')
      .set('Authorization', wrong)
      .expect(401);
    const unconfigured = await app({ OPS_TOKEN: '' });
    const response = await request(unconfigured.app.getHttpServer())
      .get('/retraining/status')
      .set('Authorization', wrong)
      .expect(200);
    expect(response.body.view).toBe('public');
  });

  it('should run once when two replicas fire the same scheduled run together', async () => {
    const [a, b] = [await app(), await app()];
    const at = new Date(Date.UTC(2020, 0, 1, 2));
    const outcomes = await Promise.all([
      a.app.get(RetrainingMonitor).run('schedule', at),
      b.app.get(RetrainingMonitor).run('schedule', at),
    ]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(['completed', 'skipped']);
    const client = new Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query(
      `SELECT count(*)::int AS n FROM job_runs WHERE job = $1 AND scheduled_for = $2`,
      [EVALUATION_JOB, at],
    );
    await client.end();
    expect(rows[0].n).toBe(1);
    // A replica that fires late finds the run done.
    expect(await a.app.get(RetrainingMonitor).run('schedule', at)).toEqual({
      status: 'skipped',
      reason: 'already-ran',
    });
  });

  it('should answer 409 while another run holds the lock', async () => {
    const test = await app();
    const holder = new Client({ connectionString: url });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query(`SELECT job FROM job_locks WHERE job = $1 FOR UPDATE`, [EVALUATION_JOB]);
    try {
      const response = await request(test.app.getHttpServer())
        .post('/retraining/evaluate')
        .set('Authorization', `Bearer ${OPS}`)
        .expect(409);
      expect(response.body.detail).toMatch(/already running/);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    await evaluate(test);
  });

  it('should record a failing run in job_runs and keep serving', async () => {
    // Silent: the failure is the point.
    const test = await app({}, { logger: false });
    const client = new Client({ connectionString: url });
    await client.connect();
    await client.query('ALTER TABLE model_evaluations RENAME TO model_evaluations_away');
    try {
      const response = await request(test.app.getHttpServer())
        .post('/retraining/evaluate')
        .set('Authorization', `Bearer ${OPS}`)
        .expect(500);
      expect(response.body.detail).toMatch(/recorded as job run \d+: .*model_evaluations/);
    } finally {
      await client.query('ALTER TABLE model_evaluations_away RENAME TO model_evaluations');
    }
    const { rows } = await client.query(
      `SELECT status, error FROM job_runs ORDER BY id DESC LIMIT 1`,
    );
    await client.end();
    expect(rows[0]).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/model_evaluations/),
    });
    // Without a token the run shows its state only; the error and the host are for operators.
    const status = await request(test.app.getHttpServer()).get('/retraining/status').expect(200);
    expect(status.body.view).toBe('public');
    expect(status.body.lastRun).toMatchObject({ status: 'failed', finishedAt: expect.any(String) });
    expect(status.body.lastRun).not.toHaveProperty('error');
    expect(status.body.lastRun).not.toHaveProperty('host');
    const full = await request(test.app.getHttpServer())
      .get('/retraining/status')
      .set('Authorization', `Bearer ${OPS}`)
      .expect(200);
    expect(full.body.view).toBe('full');
    expect(full.body.lastRun).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/model_evaluations/),
      host: hostname(),
    });
    await request(test.app.getHttpServer()).get('/health/live').expect(200);
  });

  describe('the RETRAIN announcement', () => {
    let server: Server;
    let received: unknown[];
    let behaviour: 'fail' | 'hang' | 'ok';

    beforeAll(async () => {
      received = [];
      server = createServer((req, res) => {
        let body = '';
        req.on('data', (chunk: Buffer) => (body += chunk.toString()));
        req.on('end', () => {
          received.push(JSON.parse(body));
          if (behaviour === 'hang') return; // never answers
          res.statusCode = behaviour === 'fail' ? 500 : 204;
          res.end();
        });
      });
      await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
      // Enough wrong, labelled predictions of the current version for a RETRAIN.
      const test = await app();
      const version = servedVersion(test);
      await append(
        version,
        labels.slice(0, 300).map((l) => ({ inputId: l.id, prediction: !l.label })),
        'predictions-testhost-3-2026-01-01.jsonl',
      );
    });

    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
    });

    const webhook = () => `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;

    it.each([['fail'], ['hang']] as const)(
      'should store the evaluation and finish in bounded time when the webhook %ss',
      async (mode) => {
        behaviour = mode;
        received.length = 0;
        const test = await app({
          RETRAINING_WEBHOOK_URL: webhook(),
          RETRAINING_WEBHOOK_TIMEOUT_MS: '300',
        });
        const started = Date.now();
        const evaluation = await evaluate(test);
        expect(evaluation.recommendation).toBe('RETRAIN');
        expect(received).toHaveLength(3);
        // 3 attempts of at most 300 ms plus 750 ms of back-off, with room for a slow machine.
        expect(Date.now() - started).toBeLessThan(15_000);
      },
    );

    it('should post the recommendation and emit the in-process event', async () => {
      behaviour = 'ok';
      received.length = 0;
      const test = await app({ RETRAINING_WEBHOOK_URL: webhook() });
      const heard: Evaluation[] = [];
      test.app.get(RetrainingEvents).onRetrain((e) => heard.push(e));

      const evaluation = await evaluate(test);

      expect(received).toEqual([
        expect.objectContaining({
          event: 'retraining.recommended',
          recommendation: 'RETRAIN',
          evaluationId: evaluation.id,
        }),
      ]);
      expect(heard.map((e) => e.id)).toEqual([evaluation.id]);
      const status = await request(test.app.getHttpServer()).get('/retraining/status').expect(200);
      expect(status.body).toMatchObject({
        recommendation: 'RETRAIN',
        threshold: 0.7,
        minLabelled: 200,
      });
      expect(status.body.latest.id).toBe(evaluation.id);
      expect(status.body.trend[0]).toMatchObject({
        recommendation: 'RETRAIN',
        accuracy: evaluation.accuracy,
        labelled: evaluation.labelled,
      });
      const metrics = await request(test.app.getHttpServer()).get('/metrics').expect(200);
      expect(metrics.text).toContain(
        `mle_retraining_recommendation{model="${MODEL}",recommendation="RETRAIN"} 1`,
      );
      expect(metrics.text).toContain(
        `mle_model_labelled_predictions{model="${MODEL}",version="${evaluation.modelVersion}"} ${evaluation.labelled}`,
      );
      expect(metrics.text).toContain(
        `mle_model_accuracy_ratio{model="${MODEL}",version="${evaluation.modelVersion}"} ${evaluation.accuracy}`,
      );
    });
  });

  it('should skip the catch-up run, with a log line, when no model version exists yet', async () => {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      // No version here, and none stored in the database to fetch (earlier tests stored theirs).
      await client.query(`DELETE FROM model_artifacts`);
      await app({ EVALUATION_CRON: '0 2 * * *', MODEL_DIR: await emptyDir('mle-no-models-') });
      const skipped = () =>
        BufferedLogger.lines().some((line) =>
          /LOG \[EvaluationScheduler\] No model version yet: the catch-up evaluation/.test(line),
        );
      for (let i = 0; i < 100 && !skipped(); i++)
        await new Promise((done) => setTimeout(done, 100));

      expect(skipped()).toBe(true);
      const { rows } = await client.query(
        `SELECT (SELECT count(*)::int FROM job_runs WHERE trigger = 'catch-up') AS runs,
                (SELECT count(*)::int FROM model_evaluations WHERE model_version IS NULL) AS unversioned`,
      );
      expect(rows[0]).toEqual({ runs: 0, unversioned: 0 });
    } finally {
      await client.end();
    }
  });

  it('should catch up a missed nightly run once at start, and not twice', async () => {
    const client = new Client({ connectionString: url });
    await client.connect();
    const count = async () =>
      (
        await client.query(
          `SELECT count(*)::int AS n FROM job_runs WHERE trigger = 'catch-up' AND status = 'succeeded'`,
        )
      ).rows[0].n as number;
    try {
      const first = await app({ EVALUATION_CRON: '0 2 * * *' });
      for (let i = 0; i < 100 && (await count()) === 0; i++)
        await new Promise((done) => setTimeout(done, 100));
      expect(await count()).toBe(1);
      const { rows } = await client.query(
        `SELECT scheduled_for FROM job_runs WHERE trigger = 'catch-up'`,
      );
      const previous02 = new Date();
      previous02.setUTCHours(2, 0, 0, 0);
      if (previous02 > new Date()) previous02.setUTCDate(previous02.getUTCDate() - 1);
      expect(rows[0].scheduled_for).toEqual(previous02);
      const status = await request(first.app.getHttpServer()).get('/retraining/status').expect(200);
      expect(status.body.schedule).toEqual({ cron: '0 2 * * *', timeZone: 'UTC' });
      expect(new Date(status.body.nextRun as string).getTime()).toBe(
        previous02.getTime() + 86_400_000,
      );
      await first.app.close();
      apps.length = 0;

      await app({ EVALUATION_CRON: '0 2 * * *' });
      await new Promise((done) => setTimeout(done, 1_000));
      expect(await count()).toBe(1);
    } finally {
      await client.end();
    }
  });
});
