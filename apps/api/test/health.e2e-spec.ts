import { ModelRegistry } from '@app/mle/registry';
import request from 'supertest';
import { EXAMPLE_FEATURES as features } from './test-app';
import { createTestApp, TestApp } from './test-app';

const OPS = 'test-ops-token-0123456789';

describe('Health (e2e)', () => {
  let test: TestApp;

  beforeAll(async () => {
    test = await createTestApp();
  });

  afterAll(async () => {
    await test.app.close();
  });

  it('should answer live', async () => {
    const response = await request(test.app.getHttpServer()).get('/health/live').expect(200);
    expect(response.body).toMatchObject({ status: 'ok' });
  });

  it('should answer states only when the database is up, a model loaded and the prediction log writable', async () => {
    await request(test.app.getHttpServer()).post('/predict').send({ id: 1, features }).expect(200);

    const response = await request(test.app.getHttpServer()).get('/health/ready').expect(200);

    expect(response.body).toEqual({
      status: 'ok',
      checks: { database: 'up', model: 'up', predictionLog: 'up' },
    });
  });

  it('should show the public view when a token that is not the ops token is sent', async () => {
    const response = await request(test.app.getHttpServer())
      .get('/health/ready')
      .set('Authorization', 'Bearer not-the-ops-token-000')
      .expect(200);

    expect(response.body).not.toHaveProperty('details');
  });

  it('should add the model version and the prediction log file when the ops token is sent', async () => {
    await request(test.app.getHttpServer()).post('/predict').send({ id: 2, features }).expect(200);

    const response = await request(test.app.getHttpServer())
      .get('/health/ready')
      .set('Authorization', `Bearer ${OPS}`)
      .expect(200);

    expect(response.body).toMatchObject({
      status: 'ok',
      checks: { database: 'up', model: 'up', predictionLog: 'up' },
      details: {
        models: Object.fromEntries(
          test.app
            .get(ModelRegistry)
            .models.map((model) => [model.name, model.current?.manifest.version]),
        ),
        predictionLog: { writeErrors: 0, file: expect.stringContaining(test.logDir) },
      },
    });
  });
});
