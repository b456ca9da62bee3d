import { LabelledTableReader } from '@app/mle/data';
import { Evaluation } from '@app/mle/monitoring';
import { ModelRegistry } from '@app/mle/registry';
import { ModelTrainer } from '@app/mle/training';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { dropScratchDatabase, openTestDataSource } from '../../../test/test-database';
import { emptyDir, scratchDatabaseWithDemo } from './retraining-fixtures';
import { createTestApp, TestApp } from './test-app';

const OPS = 'test-ops-token-0123456789';
const DAY = 86_400_000;

// The whole story: demo data with drift, a model trained before it, real traffic through
// POST /predict, labels known — the evaluation of the default model says OK on pre-drift inputs
// and RETRAIN after.
describe('The retraining signal, end to end (e2e)', () => {
  const database = `story_${process.pid}`;
  const now = new Date();
  const driftFrom = new Date(now.getTime() - 90 * DAY);
  let dataSource: DataSource;
  let test: TestApp;

  beforeAll(async () => {
    const url = await scratchDatabaseWithDemo(database, { rows: 20_000, now, driftFrom });
    dataSource = await openTestDataSource(url);
    test = await createTestApp({
      DATABASE_URL: url,
      MODEL_DIR: await emptyDir('mle-story-models-'),
      LOG_DIR: await emptyDir('mle-story-logs-'),
    });
  });

  afterAll(async () => {
    await test.app.close();
    await dataSource.destroy();
    await dropScratchDatabase(database);
  });

  /** Trains a new version on pre-drift rows and serves it. */
  async function serveNewVersion(): Promise<string> {
    const outcome = await test.app.get(ModelTrainer).train({ to: driftFrom, force: true });
    expect(outcome.candidate.training.holdout.accuracy).toBeGreaterThanOrEqual(0.8);
    return (await test.app.get(ModelRegistry).first.reload()).manifest.version;
  }

  /** Predicts labelled inputs of a period through the API, 100 per request. */
  async function predictInputs(from: Date, to: Date, count: number): Promise<void> {
    const data = test.app.get(ModelRegistry).first.data!;
    const { rows } = await new LabelledTableReader(dataSource, data, count).page({
      from,
      to,
      labelledOnly: true,
    });
    expect(rows).toHaveLength(count);
    for (let i = 0; i < rows.length; i += 100) {
      const instances = rows
        .slice(i, i + 100)
        .map((row) => ({ id: Number(row.id), features: row.features }));
      await request(test.app.getHttpServer()).post('/predict').send({ instances }).expect(200);
    }
  }

  async function evaluate(): Promise<Evaluation> {
    const response = await request(test.app.getHttpServer())
      .post('/retraining/evaluate')
      .set('Authorization', `Bearer ${OPS}`)
      .expect(200);
    return response.body as Evaluation;
  }

  it('should say OK while traffic follows the training data', async () => {
    const version = await serveNewVersion();
    await predictInputs(new Date(driftFrom.getTime() - 60 * DAY), driftFrom, 500);

    const evaluation = await evaluate();

    expect(evaluation).toMatchObject({
      recommendation: 'OK',
      modelVersion: version,
      labelled: 500,
    });
    expect(evaluation.accuracy).toBeGreaterThanOrEqual(0.8);
  });

  it('should say RETRAIN, with its numbers, once the world has drifted', async () => {
    const version = await serveNewVersion();
    await predictInputs(driftFrom, new Date(now.getTime() - 30 * DAY), 500);

    const evaluation = await evaluate();

    expect(evaluation).toMatchObject({
      recommendation: 'RETRAIN',
      modelVersion: version,
      labelled: 500,
    });
    expect(evaluation.accuracy).toBeLessThan(0.7);
    expect(evaluation.reasons[0]).toMatch(
      /accuracy \d+\.\d% \(95% CI .*\) on 500 labelled predictions is below the threshold 70\.0%/,
    );
    expect(evaluation.drift.status).toBe('computed');
    const status = await request(test.app.getHttpServer()).get('/retraining/status').expect(200);
    expect(status.body).toMatchObject({ recommendation: 'RETRAIN', latest: { id: evaluation.id } });
  });
});
