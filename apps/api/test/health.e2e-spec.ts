import request from 'supertest';
import { createTestApp, TestApp } from './test-app';

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

  it('should be ready with the database up, a model loaded and the prediction log writable', async () => {
    const response = await request(test.app.getHttpServer()).get('/health/ready').expect(200);
    expect(response.body).toMatchObject({
      status: 'ok',
      info: {
        database: { status: 'up' },
        model: { status: 'up', name: 'sales-reorder' },
        predictionLog: { status: 'up', state: 'ok', writeErrors: 0 },
      },
    });
  });
});
