import { ModelRegistry, ModelTrainer, StoredEvaluation } from '@app/mle';
import { saleFeatures } from '@app/sales/model/sales-features';
import { Sale } from '@app/sales/sale.entity';
import { SalesRepository } from '@app/sales/sales.repository';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { dropScratchDatabase, openTestDataSource } from '../../../test/test-database';
import { emptyDir, scratchDatabaseWithSales } from './retraining-fixtures';
import { createTestApp, TestApp } from './test-app';

const OPS = 'test-ops-token-0123456789';
const DAY = 86_400_000;

// The whole story: demo data with drift, a model trained before it, real traffic through
// POST /predict, labels known — the evaluation says OK on pre-drift sales and RETRAIN after.
describe('The retraining signal, end to end (e2e)', () => {
  const database = `story_${process.pid}`;
  const now = new Date();
  const driftFrom = new Date(now.getTime() - 90 * DAY);
  let dataSource: DataSource;
  let test: TestApp;

  beforeAll(async () => {
    const url = await scratchDatabaseWithSales(database, { rows: 20_000, now, driftFrom });
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
    return (await test.app.get(ModelRegistry).reload()).manifest.version;
  }

  /** Predicts labelled sales of a period through the API, 100 per request. */
  async function predictSales(from: Date, to: Date, count: number): Promise<void> {
    const { rows: labelled } = await new SalesRepository(dataSource.getRepository(Sale)).page(
      { from, to, labelledOnly: true },
      undefined,
      count,
    );
    expect(labelled).toHaveLength(count);
    for (let i = 0; i < labelled.length; i += 100) {
      const instances = labelled
        .slice(i, i + 100)
        .map((sale) => ({ id: Number(sale.id), features: saleFeatures(sale) }));
      await request(test.app.getHttpServer()).post('/predict').send({ instances }).expect(200);
    }
  }

  async function evaluate(): Promise<StoredEvaluation> {
    const response = await request(test.app.getHttpServer())
      .post('/retraining/evaluate')
      .set('Authorization', `Bearer ${OPS}`)
      .expect(200);
    return response.body as StoredEvaluation;
  }

  it('should say OK while traffic follows the training data', async () => {
    const version = await serveNewVersion();
    await predictSales(new Date(driftFrom.getTime() - 60 * DAY), driftFrom, 500);

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
    await predictSales(driftFrom, new Date(now.getTime() - 30 * DAY), 500);

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
    expect(evaluation.drift.features.find((f) => f.feature === 'channel')?.level).not.toBe(
      'stable',
    );
    const status = await request(test.app.getHttpServer()).get('/retraining/status').expect(200);
    expect(status.body).toMatchObject({ recommendation: 'RETRAIN', latest: { id: evaluation.id } });
  });
});
