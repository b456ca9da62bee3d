import { LabelledTableReader } from '@app/mle/data';
import { ModelRegistry } from '@app/mle/registry';
import { ModelTrainer } from '@app/mle/training';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { dropScratchDatabase, openTestDataSource } from '../../../test/test-database';
import { emptyDir, scratchDatabaseWithDemo } from './retraining-fixtures';
import { until } from './sigterm-load';
import { createTestApp, modelName, TestApp } from './test-app';

const OPS = 'test-ops-token-0123456789';
const DAY = 86_400_000;
const MODEL = modelName();

interface VersionListing {
  version: string;
  role: string;
  gate: {
    passed: boolean;
    challenger: { accuracy: number };
    champion?: { accuracy: number };
  } | null;
  promotedBy: { actor: string; reason: string; kind: string } | null;
}

/** The closed loop on one service, on its own database with the drift demo. */
class LoopStory {
  dataSource!: DataSource;
  test!: TestApp;
  readonly now = new Date();
  // Labels arrive 30 days after a sale: post-drift labelled sales span [driftFrom, now - 30d).
  readonly driftFrom = new Date(this.now.getTime() - 90 * DAY);
  private predicted = 0;

  constructor(
    private readonly database: string,
    private readonly env: Record<string, string>,
  ) {}

  async start(): Promise<void> {
    const url = await scratchDatabaseWithDemo(this.database, {
      rows: 20_000,
      now: this.now,
      driftFrom: this.driftFrom,
    });
    this.dataSource = await openTestDataSource(url);
    this.test = await createTestApp({
      DATABASE_URL: url,
      MODEL_DIR: await emptyDir('mle-loop-models-'),
      LOG_DIR: await emptyDir('mle-loop-logs-'),
      ...this.env,
    });
  }

  async stop(): Promise<void> {
    await this.test.app.close();
    await this.dataSource.destroy();
    await dropScratchDatabase(this.database);
  }

  get http() {
    return request(this.test.app.getHttpServer());
  }

  /** Trains a version on a range (without serving it) and answers its id. */
  async train(range: { from?: Date; to?: Date }): Promise<string> {
    const outcome = await this.test.app
      .get(ModelTrainer)
      .train({ ...range, model: MODEL, promote: false });
    return outcome.candidate.version;
  }

  /** Predicts `count` labelled inputs of a period through the API; answers the versions seen. */
  async predict(from: Date, to: Date, count: number): Promise<Set<string>> {
    const data = this.test.app.get(ModelRegistry).first.data!;
    const { rows } = await new LabelledTableReader(this.dataSource, data, count).page({
      from,
      to,
      labelledOnly: true,
    });
    expect(rows).toHaveLength(count);
    const versions = new Set<string>();
    for (let i = 0; i < rows.length; i += 100) {
      const instances = rows
        .slice(i, i + 100)
        .map((row) => ({ id: Number(row.id), features: row.features }));
      const response = await this.http.post('/predict').send({ instances }).expect(200);
      for (const p of (response.body as { predictions: { modelVersion: string }[] }).predictions) {
        versions.add(p.modelVersion);
      }
    }
    this.predicted += count;
    return versions;
  }

  /** Waits until the log holds a line for every answer (and its shadow's, when one scores). */
  async logged(lines: number): Promise<void> {
    await until(`${lines} prediction-log lines`, async () => {
      let count = 0;
      for (const file of await readdir(this.test.logDir)) {
        if (!file.endsWith('.jsonl')) continue;
        count += (await readFile(join(this.test.logDir, file), 'utf8')).split('\n').length - 1;
      }
      return count >= lines ? count : undefined;
    });
  }

  async evaluate() {
    const response = await this.http
      .post('/retraining/evaluate')
      .set('Authorization', `Bearer ${OPS}`)
      .expect(200);
    return response.body as {
      recommendation: string;
      modelVersion: string;
      accuracy: number;
      estimation: { versions: { version: string; estimated: { accuracy: { value: number } } }[] };
      actions: {
        action: string;
        outcome?: { version: string; role: string; promoted: boolean; gate: { passed: boolean } };
        promotion?: { kind: string; version: string; previousVersion: string; reason: string };
      }[];
    };
  }

  async versions() {
    const response = await this.http.get(`/models/${MODEL}/versions`).expect(200);
    return response.body as {
      versions: VersionListing[];
      shadow: {
        champion: string;
        shadow: string;
        labelled: { n: number; champion: { accuracy: number }; shadow: { accuracy: number } };
      } | null;
      promotions: { kind: string; version: string; actor: string; reason: string }[];
    };
  }

  role(listing: { versions: VersionListing[] }, version: string): string | undefined {
    return listing.versions.find((v) => v.version === version)?.role;
  }

  get served(): string | undefined {
    return this.test.app.get(ModelRegistry).first.current?.manifest.version;
  }

  get shadowScoring(): string | undefined {
    return this.test.app.get(ModelRegistry).first.shadow?.manifest.version;
  }
}

// The drift story, closed: a champion trained before the drift, post-drift traffic, RETRAIN; a
// challenger trained on the recent window and gated against the champion; promoted (by the
// service in auto mode, by an operator in challenger mode); newer post-drift traffic; OK.
describe.each([
  { mode: 'auto', promotes: 'the service' },
  { mode: 'challenger', promotes: 'an operator' },
])('The closed loop in $mode mode (e2e)', ({ mode }) => {
  const story = new LoopStory(`loop_${mode}_${process.pid}`, { RETRAINING_MODE: mode });

  beforeAll(() => story.start());
  afterAll(() => story.stop());

  it('should recover from the drift: RETRAIN, a gated challenger, promotion, then OK', async () => {
    // Arrange: a champion that learned the world before the drift.
    const before = await story.train({ to: story.driftFrom });
    await story.http
      .post(`/models/${MODEL}/promote`)
      .set('Authorization', `Bearer ${OPS}`)
      .send({ version: before })
      .expect(200);
    expect(story.served).toBe(before);

    // Act 1: the drifted world arrives.
    await story.predict(story.driftFrom, new Date(story.driftFrom.getTime() + 30 * DAY), 500);
    await story.logged(500);
    const drifted = await story.evaluate();

    expect(drifted).toMatchObject({ recommendation: 'RETRAIN', modelVersion: before });
    expect(drifted.actions).toHaveLength(1);
    const [{ action, outcome }] = drifted.actions;
    expect(action).toBe('retrained');
    expect(outcome!.gate.passed).toBe(true);
    const challenger = outcome!.version;
    const listed = await story.versions();
    const gate = listed.versions.find((v) => v.version === challenger)!.gate!;
    expect(gate.challenger.accuracy).toBeGreaterThanOrEqual(0.7);
    expect(gate.challenger.accuracy).toBeGreaterThan(gate.champion!.accuracy);

    if (mode === 'auto') {
      expect(outcome).toMatchObject({ role: 'champion', promoted: true });
    } else {
      expect(outcome).toMatchObject({ role: 'shadow', promoted: false });
      expect(story.served).toBe(before);
      expect(story.shadowScoring).toBe(challenger);
      await story.http
        .post(`/models/${MODEL}/promote`)
        .set('Authorization', `Bearer ${OPS}`)
        .send({ version: challenger, reason: 'reviewed the gate report' })
        .expect(200);
    }
    expect(story.served).toBe(challenger);
    expect(story.shadowScoring).toBe(before);
    const promoted = await story.versions();
    expect(story.role(promoted, challenger)).toBe('champion');
    expect(story.role(promoted, before)).toBe('shadow');
    expect(promoted.promotions[0]).toMatchObject({
      kind: 'promotion',
      version: challenger,
      actor: mode === 'auto' ? 'retraining-monitor' : 'ops',
    });

    // Act 2: newer post-drift sales, which the challenger never trained on (its holdout).
    const seen = await story.predict(
      new Date(story.now.getTime() - 40 * DAY),
      new Date(story.now.getTime() - 30 * DAY),
      500,
    );
    await story.logged(500 + 2 * 500);
    const recovered = await story.evaluate();

    // Assert: answered by the new champion alone, which the evaluation finds OK; the old
    // champion scored the same inputs in shadow.
    expect([...seen]).toEqual([challenger]);
    expect(recovered).toMatchObject({ recommendation: 'OK', modelVersion: challenger });
    expect(recovered.accuracy).toBeGreaterThanOrEqual(0.7);
    expect(recovered.actions).toEqual([]);
    // The shadow has its estimate at once, beside the champion's, in the evaluation and /metrics.
    const estimated = new Map(
      recovered.estimation.versions.map((v) => [v.version, v.estimated.accuracy.value]),
    );
    expect([...estimated.keys()].sort()).toEqual([before, challenger].sort());
    const metrics = (await story.http.get('/metrics').expect(200)).text;
    for (const [version, accuracy] of estimated) {
      expect(metrics).toContain(
        `mle_model_estimated_accuracy_ratio{model="${MODEL}",version="${version}"} ${accuracy}`,
      );
    }
    const after = await story.versions();
    expect(after.shadow).toMatchObject({
      champion: challenger,
      shadow: before,
      labelled: { n: 500 },
    });
    expect(after.shadow!.labelled.champion.accuracy).toBeGreaterThan(
      after.shadow!.labelled.shadow.accuracy,
    );
  });
});

// A bad version promoted by hand, the good one in shadow: once enough labels arrive, the
// evaluation finds the champion significantly worse on the same inputs and rolls back.
describe('Automatic rollback (e2e)', () => {
  const story = new LoopStory(`rollback_${process.pid}`, { RETRAINING_MODE: 'auto' });

  beforeAll(() => story.start());
  afterAll(() => story.stop());

  it('should roll back a champion significantly worse than the previous one in shadow', async () => {
    const good = await story.train({ from: story.driftFrom });
    const bad = await story.train({ to: story.driftFrom });
    for (const version of [good, bad]) {
      await story.http
        .post(`/models/${MODEL}/promote`)
        .set('Authorization', `Bearer ${OPS}`)
        .send({ version })
        .expect(200);
    }
    expect(story.served).toBe(bad);
    expect(story.shadowScoring).toBe(good);

    await story.predict(story.driftFrom, new Date(story.now.getTime() - 30 * DAY), 500);
    await story.logged(1000);
    const evaluation = await story.evaluate();

    expect(evaluation.actions).toEqual([
      expect.objectContaining({
        action: 'rolled-back',
        promotion: expect.objectContaining({
          kind: 'rollback',
          version: good,
          previousVersion: bad,
        }),
      }),
    ]);
    expect(evaluation.actions[0].promotion!.reason).toMatch(/McNemar p = .* < 0\.05/);
    expect(story.served).toBe(good);
    const listed = await story.versions();
    expect(story.role(listed, good)).toBe('champion');
    expect(story.role(listed, bad)).toBe('retired');
    expect(listed.promotions[0]).toMatchObject({ kind: 'rollback', actor: 'retraining-monitor' });
  });
});
