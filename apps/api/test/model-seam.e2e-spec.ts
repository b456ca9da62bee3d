import { ModelRegistry, ModelTrainer } from '@app/mle';
import { DemoDataSeeder } from '@app/sales/demo/demo-data.seeder';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import {
  createScratchDatabase,
  dropScratchDatabase,
  migrateTestDatabase,
  openTestDataSource,
} from '../../../test/test-database';
import { ThresholdModel } from './fixtures/threshold.model';
import { createTestApp, TestApp } from './test-app';

// The seam: a second model is one file (fixtures/threshold.model.ts) and one line of wiring
// (`model: ThresholdModel`); it is trained, versioned, served, validated and logged like the
// sales model, with nothing else changed.
describe('A second model through the same app (e2e)', () => {
  const database = `seam_${process.pid}`;
  let test: TestApp;

  beforeAll(async () => {
    const url = await createScratchDatabase(database);
    await migrateTestDatabase(url);
    const dataSource = await openTestDataSource(url);
    await new DemoDataSeeder(dataSource).seed({ rows: 5_000, seed: 3, now: new Date() });
    await dataSource.destroy();
    const modelDir = await mkdtemp(join(tmpdir(), 'seam-models-'));

    test = await createTestApp(
      { DATABASE_URL: url, MODEL_DIR: modelDir },
      { model: ThresholdModel },
    );

    await test.app.get(ModelTrainer).train();
    await test.app.get(ModelRegistry).reload();
  });

  afterAll(async () => {
    await test.app.close();
    await dropScratchDatabase(database);
  });

  it('should serve the threshold model on its own one-feature schema', async () => {
    const server = test.app.getHttpServer();
    const response = await request(server)
      .post('/predict')
      .send({
        instances: [
          { id: 1, features: { customer_tenure_days: 0 } },
          { id: 2, features: { customer_tenure_days: 5000 } },
        ],
      })
      .expect(200);
    expect(response.body.predictions).toEqual([
      expect.objectContaining({ id: 1, prediction: false, model: 'tenure-threshold' }),
      expect.objectContaining({ id: 2, prediction: true, model: 'tenure-threshold' }),
    ]);
  });

  it('should validate requests against the new schema', async () => {
    const response = await request(test.app.getHttpServer())
      .post('/predict')
      .send({ id: 1, features: { customer_tenure_days: -3, region: 'south' } })
      .expect(400);
    expect(response.body.errors).toEqual([
      { path: 'features.customer_tenure_days', message: 'must be between 0 and 36500, got -3' },
      { path: 'features.region', message: 'is not a feature of this model' },
    ]);
  });

  it('should keep its versions in its own folder and report them', async () => {
    const model = await request(test.app.getHttpServer()).get('/model').expect(200);
    expect(model.body).toMatchObject({
      model: 'tenure-threshold',
      featureSchema: [{ name: 'customer_tenure_days', type: 'integer' }],
    });
    expect(model.body.training.holdout.accuracy).toBeGreaterThan(0.6);
  });
});
