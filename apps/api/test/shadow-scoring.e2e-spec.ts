import { Features } from '@app/mle';
import { LabelledTableReader } from '@app/mle/data';
import { ModelLifecycle } from '@app/mle/lifecycle';
import { Evaluation } from '@app/mle/monitoring';
import { PredictionRecord } from '@app/mle/prediction-log';
import { ModelRegistry } from '@app/mle/registry';
import { ModelTrainer } from '@app/mle/training';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { BufferedLogger } from '../../../test/buffered.logger';
import { dropScratchDatabase, openTestDataSource } from '../../../test/test-database';
import { emptyDir, scratchDatabaseWithDemo } from './retraining-fixtures';
import { until } from './sigterm-load';
import { createTestApp, modelName, TestApp } from './test-app';

const OPS = { Authorization: 'Bearer test-ops-token-0123456789' };
const MODEL = modelName();

/** Every line of the prediction log files in `dir`, in the order each file holds them. */
async function loggedRecords(dir: string): Promise<PredictionRecord[]> {
  const records: PredictionRecord[] = [];
  for (const file of (await readdir(dir)).sort()) {
    if (!file.startsWith('predictions-') || !file.endsWith('.jsonl')) continue;
    for (const line of (await readFile(join(dir, file), 'utf8')).split('\n')) {
      if (line) records.push(JSON.parse(line) as PredictionRecord);
    }
  }
  return records;
}

/** The value of a metric's sample with these labels in a /metrics text, or undefined. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`${name}{`) && wanted.every((label) => l.includes(label)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

// A second version scores every live request after the answer has gone: its predictions are
// logged beside the champion's, marked, loaded into PostgreSQL and never answered.
describe('Shadow scoring (e2e)', () => {
  const database = `shadow_scoring_${process.pid}`;
  let dataSource: DataSource;
  let test: TestApp;
  let champion: string;
  let shadow: string;
  /** Labelled inputs of the demo data: the first one sent alone, the others as one batch. */
  let inputs: { id: number; features: Features }[];
  const http = () => request(test.app.getHttpServer());
  const registered = () => test.app.get(ModelRegistry).first;

  beforeAll(async () => {
    const url = await scratchDatabaseWithDemo(database, { rows: 5_000, now: new Date() });
    dataSource = await openTestDataSource(url);
    test = await createTestApp({
      DATABASE_URL: url,
      MODEL_DIR: await emptyDir('mle-shadow-models-'),
      LOG_DIR: await emptyDir('mle-shadow-logs-'),
    });
    const trainer = test.app.get(ModelTrainer);
    shadow = (await trainer.train({ force: true })).candidate.version;
    champion = (await trainer.train({ force: true })).candidate.version;
    // Every replica follows the roles PostgreSQL records, and would undo a shadow set in this
    // process alone at its next poll: the roles are recorded. Promoting the champion over the
    // other version makes that one the shadow, as after any promotion.
    const lifecycle = test.app.get(ModelLifecycle);
    const by = { actor: 'shadow-scoring spec', reason: 'a champion and a shadow to score' };
    await lifecycle.promote(MODEL, shadow, by);
    await lifecycle.promote(MODEL, champion, by);
    expect(registered().current?.manifest.version).toBe(champion);
    expect(registered().shadow?.manifest.version).toBe(shadow);

    const { rows } = await new LabelledTableReader(dataSource, registered().data!, 4).page({
      labelledOnly: true,
    });
    inputs = rows.map((row) => ({ id: Number(row.id), features: row.features }));
    expect(inputs).toHaveLength(4);
  });

  afterAll(async () => {
    await test.app.close();
    await dataSource.destroy();
    await dropScratchDatabase(database);
  });

  describe('when a request is answered', () => {
    let answers: { id: number; modelVersion: string; requestId: string }[];
    let logged: PredictionRecord[];

    beforeAll(async () => {
      const [single, ...batch] = inputs;
      const one = await http().post('/predict').send(single).expect(200);
      const many = await http().post('/predict').send({ instances: batch }).expect(200);
      answers = [one.body, ...(many.body as { predictions: typeof answers }).predictions];
      // Two lines per instance: the champion's, and the shadow's once it has scored.
      logged = await until('a champion and a shadow line per instance', async () => {
        const records = await loggedRecords(test.logDir);
        return records.length >= 2 * inputs.length ? records : undefined;
      });
    });

    it('should answer with the champion version only', () => {
      expect(answers.map((a) => [a.id, a.modelVersion])).toEqual(
        inputs.map(({ id }) => [id, champion]),
      );
    });

    it('should log one champion line and one shadow line per instance, with the same request and features', () => {
      expect(logged).toHaveLength(2 * inputs.length);
      for (const [i, { id, features }] of inputs.entries()) {
        const ofInput = logged.filter((r) => r.inputId === String(id));
        const same = { requestId: answers[i].requestId, model: MODEL, features };
        expect(ofInput).toEqual([
          expect.objectContaining({ ...same, modelVersion: champion }),
          expect.objectContaining({ ...same, modelVersion: shadow, shadow: true }),
        ]);
        expect(ofInput[0]).not.toHaveProperty('shadow');
        expect(Date.parse(ofInput[1].ts)).toBeGreaterThanOrEqual(Date.parse(ofInput[0].ts));
        expect(ofInput[1].latencyMs).toBeGreaterThanOrEqual(0);
      }
    });

    it('should count the shadow predictions in mle_shadow_predictions_total', async () => {
      const metrics = await http().get('/metrics').expect(200);

      const labels = { model: MODEL, version: shadow };
      expect(sample(metrics.text, 'mle_shadow_predictions_total', labels)).toBe(inputs.length);
      expect(sample(metrics.text, 'mle_shadow_errors_total', labels)).toBeUndefined();
    });

    it('should load both into predictions, flagged, and count only the answered ones overall when evaluated', async () => {
      const response = await http().post('/retraining/evaluate').set(OPS).expect(200);

      const stored = await dataSource.query<
        { input_id: string; model_version: string; shadow: boolean }[]
      >(`SELECT input_id, model_version, shadow FROM predictions ORDER BY input_id, shadow`);
      expect(stored).toEqual(
        inputs
          .map(({ id }) => String(id))
          .sort()
          .flatMap((id) => [
            { input_id: id, model_version: champion, shadow: false },
            { input_id: id, model_version: shadow, shadow: true },
          ]),
      );
      const evaluation = response.body as Evaluation;
      expect(evaluation.metrics.overall.labelled).toBe(inputs.length);
      expect(
        Object.fromEntries(evaluation.metrics.versions.map((v) => [v.version, v.labelled])),
      ).toEqual({ [champion]: inputs.length, [shadow]: inputs.length });
    });
  });

  it('should still answer and log the champion, and count the failure, when the shadow throws', async () => {
    const model = registered().shadow!.model;
    const predict = model.predict.bind(model);
    model.predict = () => {
      throw new Error('the shadow broke');
    };
    const labels = { model: MODEL, version: shadow };
    const counted = async (name: string) =>
      sample((await http().get('/metrics').expect(200)).text, name, labels) ?? 0;
    const errorsBefore = await counted('mle_shadow_errors_total');
    const scoredBefore = await counted('mle_shadow_predictions_total');
    const before = await loggedRecords(test.logDir);
    try {
      const [single, ...batch] = inputs;
      const one = await http().post('/predict').send(single).expect(200);
      const many = await http().post('/predict').send({ instances: batch }).expect(200);

      expect(one.body).toMatchObject({ modelVersion: champion });
      const requestIds = [one.header['x-request-id'], many.header['x-request-id']];
      const mine = await until('the champion lines', async () => {
        const records = (await loggedRecords(test.logDir)).slice(before.length);
        return records.length >= inputs.length ? records : undefined;
      });
      // The shadow tries right after the champion's lines are handed over: it is done by now.
      await new Promise((done) => setTimeout(done, 100));
      expect((await loggedRecords(test.logDir)).slice(before.length)).toEqual(mine);
      expect(mine.map((r) => [r.requestId, r.modelVersion, r.shadow])).toEqual(
        inputs.map((_, i) => [requestIds[i === 0 ? 0 : 1], champion, undefined]),
      );
      expect(await counted('mle_shadow_errors_total')).toBe(errorsBefore + 2);
      expect(await counted('mle_shadow_predictions_total')).toBe(scoredBefore);
      // Once a minute per model, not once per request.
      const warnings = BufferedLogger.lines().filter((l) => l.includes('the shadow broke'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/WARN .*Shadow version .* failed to score/);
    } finally {
      model.predict = predict;
    }
  });
});
