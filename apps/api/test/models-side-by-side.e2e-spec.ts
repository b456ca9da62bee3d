import { ModelPlugin } from '@app/mle';
import { LabelledTableReader } from '@app/mle/data';
import { Evaluation } from '@app/mle/monitoring';
import { PredictionLogWriter } from '@app/mle/prediction-log';
import { ModelRegistry } from '@app/mle/registry';
import { churnTestPlugin } from '@app/mle/testing';
import { ModelTrainer } from '@app/mle/training';
import { salesReorder } from '@app/sales';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { dropScratchDatabase, openTestDataSource } from '../../../test/test-database';
import { SERVED_MODELS } from '../src/served-models';
import { emptyDir, scratchDatabaseWithDemo } from './retraining-fixtures';
import { createTestApp, modelName, TestApp } from './test-app';

const OPS = 'test-ops-token-0123456789';
const DAY = 86_400_000;
// The served plug-ins and the kit's test plug-in, in one process (the list, once each); when
// the test plug-in is all that is served, the sales one joins it so two models share the process.
const together = [...new Set([...SERVED_MODELS, churnTestPlugin])];
const plugins: ModelPlugin[] = together.length > 1 ? together : [...together, salesReorder];
const names = plugins.map(modelName);

// The whole loop for every model of one service: train, predict through both routes, log,
// ingest, evaluate, drift, status — each model on its own schema, data and labels.
describe('Several models served side by side (e2e)', () => {
  const database = `side_by_side_${process.pid}`;
  const now = new Date();
  let dataSource: DataSource;
  let test: TestApp;
  const http = () => request(test.app.getHttpServer());
  /** Labelled inputs of a model, as its table holds them. */
  const labelled = async (name: string, count: number) => {
    const data = test.app.get(ModelRegistry).get(name).data!;
    const from = new Date(now.getTime() - 120 * DAY);
    const { rows } = await new LabelledTableReader(dataSource, data, count).page({
      from,
      labelledOnly: true,
    });
    return rows.map((row) => ({ id: Number(row.id), features: row.features }));
  };

  beforeAll(async () => {
    const url = await scratchDatabaseWithDemo(database, { rows: 3_000, now }, plugins);
    dataSource = await openTestDataSource(url, plugins);
    test = await createTestApp(
      {
        DATABASE_URL: url,
        MODEL_DIR: await emptyDir('mle-side-models-'),
        LOG_DIR: await emptyDir('mle-side-logs-'),
      },
      { plugins },
    );
    for (const name of names) {
      await test.app.get(ModelTrainer).train({ model: name });
      await http().post(`/models/${name}/reload`).set('Authorization', `Bearer ${OPS}`).expect(200);
    }
  });

  afterAll(async () => {
    await test.app.close();
    await dataSource.destroy();
    await dropScratchDatabase(database);
  });

  it('should list every model with its version and feature schema', async () => {
    const response = await http().get('/models').expect(200);
    const models = response.body.models as { model: string }[];
    expect(models.map((m) => m.model)).toEqual(names);
    for (const [i, model] of models.entries()) {
      expect(model).toMatchObject({
        version: expect.stringMatching(/^\d{8}T/),
        featureSchema: new plugins[i].model().featureSchema,
        routes: { predict: `/models/${names[i]}/predict` },
      });
    }
    const one = await http().get(`/models/${names[1]}`).expect(200);
    expect(one.body.model).toBe(names[1]);
  });

  it('should predict with each model on its own route, and with the first on /predict', async () => {
    for (const name of names) {
      const [input] = await labelled(name, 1);
      const response = await http().post(`/models/${name}/predict`).send(input).expect(200);
      expect(response.body).toMatchObject({ id: input.id, model: name });
    }
    const [input] = await labelled(names[0], 1);
    const first = await http().post('/predict').send(input).expect(200);
    expect(first.body.model).toBe(names[0]);
  });

  it("should validate each model's requests against its own schema", async () => {
    const [input] = await labelled(names[0], 1);
    const response = await http().post(`/models/${names[1]}/predict`).send(input).expect(400);
    expect(response.body.errors).toEqual(
      expect.arrayContaining([
        { path: expect.any(String), message: 'is not a feature of this model' },
      ]),
    );
  });

  it('should answer 404 with the served models for an unknown one', async () => {
    const response = await http().post('/models/nothing-here/predict').send({}).expect(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 404, models: names });
    await http().get('/models/nothing-here').expect(404);
    await http().get('/models/nothing-here/retraining/status').expect(404);
  });

  it('should log both models in one file set, ingest and evaluate each on its own labels', async () => {
    for (const name of names) {
      const instances = await labelled(name, 300);
      for (let i = 0; i < instances.length; i += 100) {
        await http()
          .post(`/models/${name}/predict`)
          .send({ instances: instances.slice(i, i + 100) })
          .expect(200);
      }
    }
    test.app.get(PredictionLogWriter).flush();
    await new Promise((done) => setTimeout(done, 100));
    const files = (await readdir(test.logDir)).filter((f) => f.startsWith('predictions-'));
    const logged = (await Promise.all(files.map((f) => readFile(join(test.logDir, f), 'utf8'))))
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as { model: string }).model);
    expect(new Set(files.map((f) => f.replace(/-\d{4}-\d\d-\d\d.*$/, ''))).size).toBe(1);
    expect([...new Set(logged)].sort()).toEqual([...names].sort());

    const response = await http()
      .post('/retraining/evaluate')
      .set('Authorization', `Bearer ${OPS}`)
      .expect(200);
    const evaluations = response.body.evaluations as Evaluation[];
    expect(evaluations.map((e) => e.model)).toEqual(names);
    expect(response.body).toMatchObject({ model: names[0], id: evaluations[0].id });
    for (const evaluation of evaluations) {
      // Three hundred labelled inputs sent, plus the one or two of the test above.
      expect(evaluation.labelled).toBeGreaterThanOrEqual(300);
      expect(evaluation.labelled).toBeLessThanOrEqual(302);
      // Each model scored on its own labels (another's would make it a coin toss).
      expect(evaluation.recommendation).toBe('OK');
      expect(evaluation.accuracy).toBeGreaterThan(0.75);
      expect(evaluation.drift).toMatchObject({ status: 'computed' });
      const features = new plugins[names.indexOf(evaluation.model)].model().featureSchema;
      expect(evaluation.drift.features.map((f) => f.feature).sort()).toEqual(
        features.map((f) => f.name).sort(),
      );
    }

    for (const name of names) {
      const status = await http().get(`/models/${name}/retraining/status`).expect(200);
      expect(status.body).toMatchObject({ model: name, latest: { model: name } });
    }
    const metrics = await http().get('/metrics').expect(200);
    for (const name of names) {
      expect(metrics.text).toContain(`mle_retraining_recommendation{model="${name}"`);
      expect(metrics.text).toMatch(new RegExp(`mle_model_info\\{model="${name}",version="`));
    }
  });

  it('should describe each model in the OpenAPI document, from its feature schema', async () => {
    const doc = (await http().get('/docs-json').expect(200)).body as {
      paths: Record<
        string,
        {
          get?: { security?: unknown[] };
          post?: { requestBody: { content: Record<string, unknown> } };
        }
      >;
      components: {
        schemas: Record<string, Record<string, unknown>>;
        securitySchemes: Record<string, { bearerFormat?: string; description?: string }>;
      };
    };
    expect(doc.paths['/models/{model}/predict']).toBeUndefined();
    // The tokens are opaque secrets, not JWTs; the status token is optional.
    for (const scheme of Object.values(doc.components.securitySchemes)) {
      expect(scheme.bearerFormat).not.toBe('JWT');
      expect(scheme.description).toMatch(/not a JWT/);
    }
    expect(doc.paths['/retraining/status'].get?.security).toContainEqual({});
    for (const [i, name] of names.entries()) {
      expect(doc.paths[`/models/${name}/predict`]?.post).toBeDefined();
      const features = Object.entries(doc.components.schemas).find(
        ([key]) =>
          key.endsWith('Features') && key.toLowerCase() === `${name.replace(/-/g, '')}features`,
      )?.[1];
      const schema = new plugins[i].model().featureSchema;
      expect(features).toMatchObject({
        type: 'object',
        additionalProperties: false,
        required: schema.map((f) => f.name),
      });
      expect(Object.keys(features?.properties as object)).toEqual(schema.map((f) => f.name));
    }
  });
});
