import { PredictionLogWriter } from '@app/mle/prediction-log';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import request from 'supertest';
import {
  createScratchDatabase,
  dropScratchDatabase,
  migrateTestDatabase,
} from '../../../test/test-database';
import {
  createTestApp,
  EXAMPLE_FEATURES as features,
  featureOfKind,
  modelName,
  TestApp,
} from './test-app';

const OPS = 'test-ops-token-0123456789';
const MODEL = modelName();
// Features of each kind of the default model's schema, whatever their names.
const bounded = featureOfKind('bounded number') as { name: string; min: number; max: number };
const integer = featureOfKind('integer');
const flag = featureOfKind('boolean');
const category = featureOfKind('category');
const other = (spec: { name: string }) => ({ ...features, [spec.name]: !features[spec.name] });

async function logLines(dir: string): Promise<Record<string, unknown>[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.jsonl'));
  const text = (await Promise.all(files.map((f) => readFile(join(dir, f), 'utf8')))).join('');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('POST /predict (e2e)', () => {
  let test: TestApp;
  const http = () => request(test.app.getHttpServer());
  const predict = (body: unknown) =>
    http()
      .post('/predict')
      .send(body as object);

  // A database of its own: a reload records the served version as the champion (the previous
  // one becomes the shadow), which every later service on a shared database would follow.
  const database = `predict_${process.pid}`;

  beforeAll(async () => {
    const url = await createScratchDatabase(database);
    await migrateTestDatabase(url);
    test = await createTestApp({ DATABASE_URL: url, MAX_BATCH: '5', BODY_LIMIT: '4096' });
  });

  afterAll(async () => {
    await test.app.close();
    await dropScratchDatabase(database);
  });

  describe('happy paths', () => {
    it('should predict one instance with its probability, model, version and request id', async () => {
      const response = await predict({ id: 1001, features }).expect(200);
      expect(response.body).toEqual({
        id: 1001,
        prediction: expect.any(Boolean),
        probability: expect.any(Number),
        model: modelName(),
        modelVersion: expect.stringMatching(/^\d{8}T\d{9}Z-[0-9a-f]{6}$/),
        requestId: response.headers['x-request-id'],
      });
      expect(response.body.prediction).toBe(response.body.probability >= 0.5);
    });

    it('should answer a batch in order, every answer with the same request id', async () => {
      const instances = [
        { id: 1, features },
        { id: '2', features: { ...features, [category.name]: category.values.at(-1) } },
        { id: 3, features: { ...features, [bounded.name]: bounded.max } },
      ];
      const response = await predict({ instances }).expect(200);
      const answers = response.body.predictions as { id: unknown; requestId: string }[];
      expect(answers.map((a) => a.id)).toEqual([1, '2', 3]);
      expect(new Set(answers.map((a) => a.requestId))).toEqual(
        new Set([response.headers['x-request-id']]),
      );
      const one = await predict(instances[1]).expect(200);
      expect(answers[1]).toMatchObject({ probability: one.body.probability });
    });

    it('should keep a valid incoming X-Request-Id and replace an invalid one', async () => {
      const kept = await predict({ id: 1, features })
        .set('X-Request-Id', 'client-req.42')
        .expect(200);
      expect(kept.headers['x-request-id']).toBe('client-req.42');
      expect(kept.body.requestId).toBe('client-req.42');

      const replaced = await predict({ id: 1, features })
        .set('X-Request-Id', 'bad id\u00e9')
        .expect(200);
      expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('should log one line per prediction equal to the response', async () => {
      const response = await predict({
        instances: [
          { id: 501, features },
          { id: 502, features: other(flag) },
        ],
      })
        .set('X-Request-Id', 'log-check-1')
        .expect(200);
      test.app.get(PredictionLogWriter).flush();
      let lines: Record<string, unknown>[] = [];
      for (let i = 0; i < 50 && lines.length < 2; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        lines = (await logLines(test.logDir)).filter((l) => l.requestId === 'log-check-1');
      }
      const answers = response.body.predictions as Record<string, unknown>[];
      expect(lines).toEqual(
        answers.map((answer, i) => ({
          ts: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
          requestId: 'log-check-1',
          inputId: String(answer.id),
          features: i === 0 ? features : other(flag),
          prediction: answer.prediction,
          probability: answer.probability,
          model: answer.model,
          modelVersion: answer.modelVersion,
          latencyMs: expect.any(Number),
        })),
      );
    });
  });

  describe('bad input', () => {
    async function problem(body: unknown, status = 400) {
      const response = await predict(body).expect(status);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body).toMatchObject({
        type: expect.any(String),
        title: expect.any(String),
        status,
        detail: expect.any(String),
        instance: '/predict',
        requestId: response.headers['x-request-id'],
      });
      return response.body as { errors?: { path: string; message: string }[]; detail: string };
    }

    const without = (name: string) =>
      Object.fromEntries(Object.entries(features).filter(([key]) => key !== name));

    it.each([
      [
        'a missing feature',
        { id: 1, features: without(bounded.name) },
        `features.${bounded.name}`,
        /is required/,
      ],
      [
        'an unknown feature',
        { id: 1, features: { ...features, colour_of_the_sky: 'red' } },
        'features.colour_of_the_sky',
        /not a feature/,
      ],
      [
        'a wrong type',
        { id: 1, features: { ...features, [flag.name]: 'yes' } },
        `features.${flag.name}`,
        /true or false/,
      ],
      [
        'a number as a string',
        { id: 1, features: { ...features, [integer.name]: '3' } },
        `features.${integer.name}`,
        /must be a number/,
      ],
      [
        'a fraction for an integer',
        { id: 1, features: { ...features, [integer.name]: 2.5 } },
        `features.${integer.name}`,
        /integer/,
      ],
      [
        'a value above the maximum',
        { id: 1, features: { ...features, [bounded.name]: bounded.max + 1 } },
        `features.${bounded.name}`,
        new RegExp(`between ${bounded.min} and ${bounded.max}`),
      ],
      [
        'a value below the minimum',
        { id: 1, features: { ...features, [bounded.name]: bounded.min - 1 } },
        `features.${bounded.name}`,
        new RegExp(`between ${bounded.min}`),
      ],
      [
        'an unknown category',
        { id: 1, features: { ...features, [category.name]: 'fax' } },
        `features.${category.name}`,
        new RegExp(`one of ${category.values.join(', ')}`),
      ],
      ['a missing id', { features }, 'id', /is required/],
      ['a null id', { id: null, features }, 'id', /is required/],
      ['a negative id', { id: -5, features }, 'id', /non-negative integer/],
      ['features that are not an object', { id: 1, features: [1, 2] }, 'features', /object/],
      [
        'an unknown top-level field',
        { id: 1, features, extra: true },
        'extra',
        /not a field of the request/,
      ],
      ['an empty batch', { instances: [] }, 'instances', /at least one/],
      ['a batch that is not an array', { instances: { id: 1 } }, 'instances', /array/],
      [
        'a batch over MAX_BATCH',
        { instances: Array(6).fill({ id: 1, features }) },
        'instances',
        /at most 5 instances/,
      ],
    ])('should answer 400 with the path for %s', async (_, body, path, message) => {
      const { errors } = await problem(body);
      expect(errors).toEqual(
        expect.arrayContaining([{ path, message: expect.stringMatching(message) }]),
      );
    });

    it('should report a non-finite number (1e400 parses as Infinity)', async () => {
      const response = await http()
        .post('/predict')
        .set('content-type', 'application/json')
        .send(
          `{"id":1,"features":${JSON.stringify({ ...features, [bounded.name]: 0 }).replace(`"${bounded.name}":0`, `"${bounded.name}":1e400`)}}`,
        )
        .expect(400);
      expect(response.body.errors).toEqual([
        { path: `features.${bounded.name}`, message: 'must be a finite number' },
      ]);
    });

    it('should list every problem of a batch with its index', async () => {
      const { errors } = await problem({
        instances: [
          { id: 1, features },
          { id: 2, features: { ...features, [category.name]: 'mars' } },
          { id: 3, features: without(flag.name) },
          { features },
        ],
      });
      expect(errors?.map((e) => e.path)).toEqual(
        expect.arrayContaining([
          `instances[1].features.${category.name}`,
          `instances[2].features.${flag.name}`,
          'instances[3].id',
        ]),
      );
      expect(errors).toHaveLength(3);
    });

    it('should answer 400 for a body that is not an object', async () => {
      const { errors } = await problem([1, 2, 3]);
      expect(errors?.[0].message).toMatch(/must be a JSON object/);
    });

    it('should answer 400 for malformed JSON', async () => {
      const response = await http()
        .post('/predict')
        .set('content-type', 'application/json')
        .send('{"id": 1,')
        .expect(400);
      expect(response.headers['content-type']).toMatch(/problem\+json/);
      expect(response.body.detail).toMatch(/JSON/);
    });

    it('should answer 400 for a __proto__ key and leave Object.prototype alone', async () => {
      const response = await http()
        .post('/predict')
        .set('content-type', 'application/json')
        .send('{"id":1,"features":{"__proto__":{"polluted":true}}}')
        .expect(400);
      expect(response.headers['content-type']).toMatch(/problem\+json/);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('should answer 413 for a body over BODY_LIMIT', async () => {
      const big = { instances: Array(40).fill({ id: 1, features }) };
      const response = await http().post('/predict').send(big).expect(413);
      expect(response.headers['content-type']).toMatch(/problem\+json/);
      expect(response.body.detail).toMatch(/BODY_LIMIT/);
    });

    it.each([['text/plain'], ['application/x-www-form-urlencoded'], ['application/xml']])(
      'should answer 415 for %s',
      async (type) => {
        const response = await http()
          .post('/predict')
          .set('content-type', type)
          .send('id=1')
          .expect(415);
        expect(response.headers['content-type']).toMatch(/problem\+json/);
        expect(response.body.detail).toMatch(/application\/json/);
      },
    );

    it('should answer 404 for an unknown route and 405 with Allow for a wrong method', async () => {
      const missing = await http().get('/nowhere').expect(404);
      expect(missing.headers['content-type']).toMatch(/problem\+json/);
      const wrong = await http().get('/predict').expect(405);
      expect(wrong.headers.allow).toBe('POST');
      expect(wrong.body.status).toBe(405);
    });
  });

  describe('ops', () => {
    it('should reload the current version with the ops token and say which it serves', async () => {
      const response = await http()
        .post('/model/reload')
        .set('Authorization', `Bearer ${OPS}`)
        .expect(200);
      expect(response.body).toMatchObject({ model: modelName(), version: expect.any(String) });
      const current = await http().get('/model').expect(200);
      expect(current.body.version).toBe(response.body.version);
    });

    it.each([
      ['no token', undefined],
      ['a wrong token', 'Bearer not-the-token-0123456789'],
      ['a token without the scheme', OPS],
      ['a prefix of the token', `Bearer ${OPS.slice(0, -1)}`],
    ])('should answer 401 to %s', async (_, authorization) => {
      const call = http().post('/model/reload');
      if (authorization) void call.set('Authorization', authorization);
      const response = await call.expect(401);
      expect(response.headers['www-authenticate']).toBe('Bearer');
      expect(response.headers['content-type']).toMatch(/problem\+json/);
    });
  });

  describe('metrics and docs', () => {
    it('should expose Prometheus metrics for requests, predictions, log errors and the model', async () => {
      await predict({ id: 1, features }).expect(200);
      const response = await http().get('/metrics').expect(200);
      expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(response.text).toMatch(
        /http_request_duration_seconds_count\{method="POST",route="\/predict",status="200"\} \d+/,
      );
      expect(response.text).toMatch(
        /http_request_duration_seconds_count\{method="POST",route="\/predict",status="400"\} \d+/,
      );
      expect(response.text).toMatch(
        new RegExp(
          `mle_predictions_total\\{model="${MODEL}",version="[^"]+",class="(true|false)"\\} \\d+`,
        ),
      );
      expect(response.text).toContain('mle_prediction_log_write_errors_total 0');
      expect(response.text).toMatch(
        new RegExp(`mle_model_info\\{model="${MODEL}",version="[^"]+"\\} 1`),
      );
    });

    it('should serve the OpenAPI document whose examples work when pasted', async () => {
      const doc = await http().get('/docs-json').expect(200);
      const operation = doc.body.paths['/predict'].post;
      const examples = operation.requestBody.content['application/json'].examples as Record<
        string,
        { value: unknown }
      >;
      expect(Object.keys(examples)).toEqual(['single', 'batch']);
      for (const { value } of Object.values(examples)) await predict(value).expect(200);
      expect(doc.body.paths['/model/reload']).toBeDefined();
      const ui = await http().get('/docs').expect(200);
      expect(ui.text).toContain('swagger');
    });

    it('should send the API its few security headers on answers and on errors alike', async () => {
      for (const response of [
        await predict({ id: 1, features }).expect(200),
        await http().get('/health/live').expect(200),
        await http().get('/metrics').expect(200),
        await http().get('/docs-json').expect(200),
        await http().get('/no-such-route').expect(404),
        await http().get('/docsx').expect(404),
        await http().post('/predict').set('content-type', 'text/plain').send('x').expect(415),
      ]) {
        expect(response.headers).toMatchObject({
          'x-content-type-options': 'nosniff',
          'cache-control': 'no-store',
          'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
        });
        expect(response.headers['x-request-id']).toBeDefined();
        // The browser-page headers stay off the JSON answers (each costs on every request).
        expect(response.headers['x-frame-options']).toBeUndefined();
        expect(response.headers['strict-transport-security']).toBeUndefined();
      }
    });

    it('should send the docs page and its assets a CSP without upgrade-insecure-requests', async () => {
      for (const path of ['/docs', '/docs/swagger-ui.css', '/docs/swagger-ui-init.js']) {
        const response = await http().get(path).expect(200);
        const csp = response.headers['content-security-policy'];
        expect(csp).toContain("default-src 'self'");
        expect(csp).toContain("script-src 'self' 'unsafe-inline'");
        expect(csp).toContain("object-src 'none'");
        expect(csp).not.toContain('upgrade-insecure-requests');
        expect(response.headers).toMatchObject({
          'x-content-type-options': 'nosniff',
          'x-frame-options': 'SAMEORIGIN',
          'referrer-policy': 'no-referrer',
        });
        expect(response.headers['cache-control']).not.toBe('no-store');
      }
    });
  });
});

describe('POST /predict without a model (e2e)', () => {
  it('should answer 503 and readiness should say why', async () => {
    const { mkdtemp } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    // A database of its own: the shared one stores the versions other tests trained, and a
    // service with an empty MODEL_DIR fetches the champion from it.
    const database = `predict_no_model_${process.pid}`;
    const url = await createScratchDatabase(database);
    await migrateTestDatabase(url);
    const test = await createTestApp({
      DATABASE_URL: url,
      MODEL_DIR: await mkdtemp(join(tmpdir(), 'empty-models-')),
      OPS_TOKEN: '',
    });
    try {
      const response = await request(test.app.getHttpServer())
        .post('/predict')
        .send({ id: 1, features })
        .expect(503);
      expect(response.body).toMatchObject({
        status: 503,
        type: 'urn:mle-service:problem:model-not-loaded',
      });
      expect(response.body.detail).toMatch(/npm run train/);
      const ready = await request(test.app.getHttpServer()).get('/health/ready').expect(503);
      expect(ready.body).toMatchObject({
        type: 'urn:mle-service:problem:not-ready',
        checks: { model: 'down' },
        reasons: { model: expect.stringMatching(/no version of .* is loaded/) },
      });
      const reload = await request(test.app.getHttpServer()).post('/model/reload').expect(403);
      expect(reload.body.detail).toMatch(/OPS_TOKEN is not set/);
    } finally {
      await test.app.close();
      await dropScratchDatabase(database);
    }
  });
});
