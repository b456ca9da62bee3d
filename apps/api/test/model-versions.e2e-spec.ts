import { ModelRegistry } from '@app/mle/registry';
import { ModelTrainer } from '@app/mle/training';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import request from 'supertest';
import { DataSource } from 'typeorm';
import {
  createScratchDatabase,
  dropScratchDatabase,
  migrateTestDatabase,
  openTestDataSource,
} from '../../../test/test-database';
import { BufferedLogger } from '../../../test/buffered.logger';
import { emptyDir, scratchDatabaseWithDemo } from './retraining-fixtures';
import { until } from './sigterm-load';
import { createTestApp, EXAMPLE_FEATURES as features, modelName, TestApp } from './test-app';

const OPS = { Authorization: 'Bearer test-ops-token-0123456789' };
const MODEL = modelName();
const PROBLEM = /^application\/problem\+json/;

interface LoggedLine {
  requestId: string;
  inputId: string;
  modelVersion: string;
  shadow?: boolean;
}

async function loggedLines(dir: string): Promise<LoggedLine[]> {
  const lines: LoggedLine[] = [];
  for (const file of await readdir(dir)) {
    if (!file.endsWith('.jsonl')) continue;
    for (const line of (await readFile(join(dir, file), 'utf8')).split('\n')) {
      if (line) lines.push(JSON.parse(line) as LoggedLine);
    }
  }
  return lines;
}

// A model's versions through the API: shadow scoring, promotion, rollback, and what each
// refuses (problem+json, the champion serving on).
describe('Model versions: shadow, promote, roll back (e2e)', () => {
  const database = `versions_${process.pid}`;
  let dataSource: DataSource;
  let test: TestApp;
  let champion: string;
  let shadow: string;
  const http = () => request(test.app.getHttpServer());
  const registered = () => test.app.get(ModelRegistry).first;

  beforeAll(async () => {
    const url = await scratchDatabaseWithDemo(database, { rows: 5_000, now: new Date() });
    dataSource = await openTestDataSource(url);
    test = await createTestApp({
      DATABASE_URL: url,
      MODEL_DIR: await emptyDir('mle-versions-models-'),
      LOG_DIR: await emptyDir('mle-versions-logs-'),
      RETRAINING_MODE: 'challenger',
    });
    const trainer = test.app.get(ModelTrainer);
    shadow = (await trainer.train({ model: MODEL, promote: false })).candidate.version;
    champion = (await trainer.train({ model: MODEL, promote: false })).candidate.version;
    for (const version of [shadow, champion]) {
      await http().post(`/models/${MODEL}/promote`).set(OPS).send({ version }).expect(200);
    }
  });

  afterAll(async () => {
    await test.app.close();
    await dataSource.destroy();
    await dropScratchDatabase(database);
  });

  it('should score every request in shadow, log it marked, and answer with the champion only', async () => {
    expect(registered().current?.manifest.version).toBe(champion);
    expect(registered().shadow?.manifest.version).toBe(shadow);

    const single = await http().post('/predict').send({ id: 1, features }).expect(200);
    const batch = await http()
      .post('/predict')
      .send({ instances: [2, 3, 4].map((id) => ({ id, features })) })
      .expect(200);

    expect(single.body).toMatchObject({ modelVersion: champion });
    const { predictions } = batch.body as { predictions: { modelVersion: string }[] };
    expect(predictions.map((p) => p.modelVersion)).toEqual([champion, champion, champion]);
    const lines = await until('8 log lines', async () => {
      const all = await loggedLines(test.logDir);
      return all.length >= 8 ? all : undefined;
    });
    expect(lines).toHaveLength(8);
    for (const id of ['1', '2', '3', '4']) {
      const mine = lines.filter((l) => l.inputId === id);
      expect(mine.map((l) => [l.modelVersion, l.shadow ?? false]).sort()).toEqual(
        [
          [champion, false],
          [shadow, true],
        ].sort(),
      );
      expect(new Set(mine.map((l) => l.requestId)).size).toBe(1);
    }
    const metrics = await http().get('/metrics').expect(200);
    expect(metrics.text).toContain(
      `mle_shadow_predictions_total{model="${MODEL}",version="${shadow}"} 4`,
    );
  });

  it('should load shadow predictions marked, and count only answered ones overall', async () => {
    const evaluation = await http().post('/retraining/evaluate').set(OPS).expect(200);

    const rows = await dataSource.query<{ model_version: string; shadow: boolean; n: number }[]>(
      `SELECT model_version, shadow, count(*)::int AS n FROM predictions
        GROUP BY 1, 2 ORDER BY 2`,
    );
    expect(rows).toEqual([
      { model_version: champion, shadow: false, n: 4 },
      { model_version: shadow, shadow: true, n: 4 },
    ]);
    const metrics = evaluation.body.metrics as {
      overall: { labelled: number; unlabelled: number };
      versions: { version: string; labelled: number; unlabelled: number }[];
    };
    expect(metrics.overall.labelled + metrics.overall.unlabelled).toBe(4);
    expect(metrics.versions.map((v) => v.labelled + v.unlabelled)).toEqual([4, 4]);
  });

  it('should answer and log the champion when the shadow fails, and count the failure', async () => {
    const before = (await loggedLines(test.logDir)).length;
    const model = registered().shadow!.model;
    const predict = model.predict.bind(model);
    model.predict = () => {
      throw new Error('shadow broke');
    };
    try {
      const answer = await http().post('/predict').send({ id: 5, features }).expect(200);
      expect(answer.body).toMatchObject({ modelVersion: champion });
      await until('the champion line', async () =>
        (await loggedLines(test.logDir)).length > before ? true : undefined,
      );
      await new Promise((done) => setTimeout(done, 100));
      const lines = (await loggedLines(test.logDir)).filter((l) => l.inputId === '5');
      expect(lines).toEqual([expect.objectContaining({ modelVersion: champion })]);
      const metrics = await http().get('/metrics').expect(200);
      expect(metrics.text).toContain(
        `mle_shadow_errors_total{model="${MODEL}",version="${shadow}"} 1`,
      );
    } finally {
      model.predict = predict;
    }
  });

  it('should list every version with its role and who promoted it', async () => {
    const listed = await http().get(`/models/${MODEL}/versions`).expect(200);

    expect(listed.body).toMatchObject({ model: MODEL, mode: 'challenger' });
    const roles = Object.fromEntries(
      (listed.body.versions as { version: string; role: string }[]).map((v) => [v.version, v.role]),
    );
    expect(roles).toMatchObject({ [champion]: 'champion', [shadow]: 'shadow' });
    expect(listed.body.versions[0]).toMatchObject({
      version: champion,
      promotedBy: { actor: 'ops', kind: 'promotion' },
    });
    expect(listed.body.shadow).toMatchObject({ champion, shadow, inputs: 4 });
    const promotions = await dataSource.query<{ kind: string; version: string }[]>(
      `SELECT kind, version FROM model_promotions ORDER BY id`,
    );
    expect(promotions).toEqual([
      { kind: 'promotion', version: shadow },
      { kind: 'promotion', version: champion },
    ]);
  });

  it('should answer 404 for an unknown version and keep the champion serving', async () => {
    const response = await http()
      .post(`/models/${MODEL}/promote`)
      .set(OPS)
      .send({ version: '20990101T000000000Z-abcdef' })
      .expect(404)
      .expect('content-type', PROBLEM);

    expect(response.body).toMatchObject({
      type: 'urn:mle-service:problem:unknown-version',
      versions: expect.arrayContaining([champion, shadow]),
    });
    expect(registered().current?.manifest.version).toBe(champion);
  });

  it('should replace a damaged copy in MODEL_DIR by the stored one before it serves', async () => {
    const version = (await test.app.get(ModelTrainer).train({ model: MODEL, promote: false }))
      .candidate;
    const [file] = Object.keys(version.files);
    const path = join(test.modelDir, MODEL, version.version, file);
    const saved = await readFile(path);
    await writeFile(path, 'not the saved file');

    const loaded = await registered().loadVersion(version.version);

    expect(loaded.manifest.version).toBe(version.version);
    expect((await readFile(path)).equals(saved)).toBe(true);
    expect(BufferedLogger.lines().join('\n')).toMatch(
      new RegExp(
        `version ${version.version} .* is corrupted: ${file} is not the file that was saved .*Fetching the stored copy instead`,
      ),
    );
  });

  it('should answer 409 for a version damaged in the database too, and keep the champion serving', async () => {
    const damaged = (await test.app.get(ModelTrainer).train({ model: MODEL, promote: false }))
      .candidate;
    const [file] = Object.keys(damaged.files);
    await writeFile(join(test.modelDir, MODEL, damaged.version, file), 'not the saved file');
    await dataSource.query(
      `UPDATE model_artifact_files SET content = 'not the saved file'::bytea
        WHERE model = $1 AND version = $2 AND file = $3`,
      [MODEL, damaged.version, file],
    );

    const response = await http()
      .post(`/models/${MODEL}/promote`)
      .set(OPS)
      .send({ version: damaged.version })
      .expect(409)
      .expect('content-type', PROBLEM);

    expect(response.body.detail).toMatch(/corrupted/);
    expect(registered().current?.manifest.version).toBe(champion);
  });

  it('should answer 400 for a body without a version, and 401 without the ops token', async () => {
    const bad = await http()
      .post(`/models/${MODEL}/promote`)
      .set(OPS)
      .send({ versoin: champion })
      .expect(400)
      .expect('content-type', PROBLEM);
    expect(bad.body.errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: 'version' })]),
    );
    await http().post(`/models/${MODEL}/rollback`).expect(401);
    await http().post(`/models/${MODEL}/retrain`).expect(401);
  });

  it('should run one retrain at a time: a second call answers 409 with the run in progress', async () => {
    const answers = await Promise.all([
      http().post(`/models/${MODEL}/retrain`).set(OPS),
      http().post(`/models/${MODEL}/retrain`).set(OPS),
    ]);

    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    const refused = answers.find((a) => a.status === 409)!;
    expect(refused.headers['content-type']).toMatch(PROBLEM);
    expect(refused.body).toMatchObject({ title: 'Retrain in progress' });
    const trained = answers.find((a) => a.status === 200)!;
    expect(trained.body).toMatchObject({ role: 'shadow', promoted: false });
    expect(trained.body.gate.champion.version).toBe(champion);
  });

  it('should roll back to the previous champion and retire the one it replaces', async () => {
    const rolledBack = await http()
      .post(`/models/${MODEL}/rollback`)
      .set(OPS)
      .send({ reason: 'test' })
      .expect(200);

    expect(rolledBack.body).toMatchObject({ kind: 'rollback', version: shadow, reason: 'test' });
    expect(registered().current?.manifest.version).toBe(shadow);
    const again = await http().post(`/models/${MODEL}/rollback`).set(OPS).expect(409);
    expect(again.body.detail).toMatch(/roll back/);
  });
  it('should keep serving what it has when the recorded champion cannot be loaded here', async () => {
    // A champion recorded in PostgreSQL that this MODEL_DIR does not hold (another replica's
    // folder, a lost volume): the follower hears of it and must not stop serving.
    const missing = '20990101T000000000Z-abcdef';
    const served = registered().current!.manifest.version;
    await dataSource.query(
      `UPDATE model_versions SET role = 'retired' WHERE model = $1 AND role = 'champion'`,
      [MODEL],
    );
    await dataSource.query(
      `INSERT INTO model_versions (model, version, role) VALUES ($1, $2, 'champion')`,
      [MODEL, missing],
    );
    await dataSource.query(`SELECT pg_notify('mle_model_versions', $1)`, [MODEL]);

    await until('the follower to report the version it cannot serve', async () =>
      BufferedLogger.lines().some((l) => l.includes(`Cannot serve ${MODEL} version ${missing}`))
        ? true
        : undefined,
    );
    const answer = await http().post('/predict').send({ id: 6, features }).expect(200);

    expect(answer.body).toMatchObject({ modelVersion: served });
    expect(registered().current?.manifest.version).toBe(served);
  });
});

describe('Retraining without enough labels (e2e)', () => {
  const database = `versions_empty_${process.pid}`;
  let test: TestApp;

  beforeAll(async () => {
    const url = await createScratchDatabase(database);
    await migrateTestDatabase(url);
    test = await createTestApp({ DATABASE_URL: url, RETRAINING_MODE: 'challenger' });
  });

  afterAll(async () => {
    await test.app.close();
    await dropScratchDatabase(database);
  });

  it('should answer 409 with the counts and what to change', async () => {
    const response = await request(test.app.getHttpServer())
      .post(`/models/${MODEL}/retrain`)
      .set(OPS)
      .expect(409)
      .expect('content-type', PROBLEM);

    expect(response.body).toMatchObject({
      type: 'urn:mle-service:problem:not-enough-labels',
      labelled: 0,
      rows: 0,
    });
    expect(response.body.detail).toMatch(/RETRAIN_WINDOW_DAYS|MIN_LABELED/);
  });
});
