import request from 'supertest';
import { ScratchPostgres, startScratchPostgres } from '../../../test/scratch-postgres';
import { migrateTestDatabase } from '../../../test/test-database';
import { EXAMPLE_FEATURES } from './test-app';
import { createTestApp, TestApp } from './test-app';

const OPS = 'test-ops-token-0123456789';

/** The app on a PostgreSQL of its own, which the tests stop (the suite's server stays up). */
describe('With the database down (e2e)', () => {
  let server: ScratchPostgres | undefined;
  let test: TestApp | undefined;

  const app = () => test!.app.getHttpServer();

  beforeAll(async () => {
    server = await startScratchPostgres();
    const { url } = server;
    await migrateTestDatabase(url);
    test = await createTestApp({ DATABASE_URL: url });
    // Up first: the answers below are about the database going away, not a bad configuration.
    await request(app()).get('/retraining/status').expect(200);
    await server.stop();
  });

  afterAll(async () => {
    await test?.app.close();
    await server?.stop();
  });

  it('should answer GET /retraining/status 503 with what to do when the database is down', async () => {
    const response = await request(app()).get('/retraining/status').expect(503);

    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({
      type: 'urn:mle-service:problem:database-unavailable',
      status: 503,
      detail: expect.stringMatching(/database does not answer.*try again/i),
    });
    expect(response.headers['retry-after']).toBe('30');
  });

  it('should answer POST /retraining/evaluate 503 when the database is down', async () => {
    const response = await request(app())
      .post('/retraining/evaluate')
      .set('Authorization', `Bearer ${OPS}`)
      .expect(503);

    expect(response.body).toMatchObject({
      type: 'urn:mle-service:problem:database-unavailable',
      detail: expect.stringMatching(/DATABASE_URL/),
    });
  });

  it('should be not ready, saying the database is down, when it does not answer', async () => {
    const response = await request(app()).get('/health/ready').expect(503);

    expect(response.body).toMatchObject({
      type: 'urn:mle-service:problem:not-ready',
      checks: { database: 'down', model: 'up', predictionLog: 'up' },
      reasons: { database: expect.stringMatching(/does not answer/) },
    });
    expect(JSON.stringify(response.body)).not.toMatch(/127\.0\.0\.1|ECONNREFUSED/);
  });

  it('should keep serving predictions when the database is down', async () => {
    await request(app()).post('/predict').send({ id: 1, features: EXAMPLE_FEATURES }).expect(200);
    await request(app()).get('/health/live').expect(200);
  });
});
