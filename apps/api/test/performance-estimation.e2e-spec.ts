import { LabelledTableReader } from '@app/mle/data';
import { Evaluation } from '@app/mle/monitoring';
import { ModelRegistry } from '@app/mle/registry';
import { ModelTrainer } from '@app/mle/training';
import { salesReorder } from '@app/sales';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { dropScratchDatabase, openTestDataSource } from '../../../test/test-database';
import { emptyDir, scratchDatabaseWithDemo } from './retraining-fixtures';
import { createTestApp, TestApp } from './test-app';

const OPS = 'test-ops-token-0123456789';
const DAY = 86_400_000;
const PREDICTIONS = 2_000;
// The sales plug-in whatever the served list says: its demo has both worlds (`shiftFrom`, the
// inputs move; `driftFrom`, the rule changes), and the test reads its table by name.
const PLUGINS = [salesReorder];

type World = { shiftFrom: Date } | { driftFrom: Date };

/**
 * One demo world on its own database: a model trained before the change (a covariate shift or a
 * concept drift 90 days ago), then traffic from after it whose labels the test holds back and
 * lets arrive later, as they do 30 days after a sale.
 */
class EstimationStory {
  readonly now = new Date();
  readonly changeFrom = new Date(this.now.getTime() - 90 * DAY);
  dataSource!: DataSource;
  test!: TestApp;
  version!: string;
  private held: { id: string; reordered: boolean }[] = [];

  constructor(
    private readonly database: string,
    private readonly world: (changeFrom: Date) => World,
  ) {}

  async start(): Promise<void> {
    const url = await scratchDatabaseWithDemo(
      this.database,
      { rows: 20_000, now: this.now, ...this.world(this.changeFrom) },
      PLUGINS,
    );
    this.dataSource = await openTestDataSource(url, PLUGINS);
    this.test = await createTestApp(
      {
        DATABASE_URL: url,
        MODEL_DIR: await emptyDir('mle-estimation-models-'),
        LOG_DIR: await emptyDir('mle-estimation-logs-'),
      },
      { plugins: PLUGINS },
    );
    const trained = await this.test.app
      .get(ModelTrainer)
      .train({ to: this.changeFrom, force: true });
    expect(trained.candidate.training.holdout.accuracy).toBeGreaterThanOrEqual(0.8);
    this.version = (await this.test.app.get(ModelRegistry).first.reload()).manifest.version;
  }

  async stop(): Promise<void> {
    await this.test.app.close();
    await this.dataSource.destroy();
    await dropScratchDatabase(this.database);
  }

  /**
   * Predicts labelled sales from after the change through the API, with their labels withdrawn
   * first: the evaluation sees predictions whose labels have not arrived yet.
   */
  async predictWithLabelsHeld(): Promise<void> {
    const data = this.test.app.get(ModelRegistry).first.data!;
    const { rows } = await new LabelledTableReader(this.dataSource, data, PREDICTIONS).page({
      from: this.changeFrom,
      to: new Date(this.now.getTime() - 30 * DAY),
      labelledOnly: true,
    });
    expect(rows).toHaveLength(PREDICTIONS);
    const ids = rows.map((row) => row.id);
    this.held = await this.dataSource.query(
      `SELECT id::text, reordered FROM sales WHERE id = ANY($1::bigint[])`,
      [ids],
    );
    await this.dataSource.query(
      `UPDATE sales SET reordered = NULL, label_updated_at = NULL WHERE id = ANY($1::bigint[])`,
      [ids],
    );
    for (let i = 0; i < rows.length; i += 100) {
      const instances = rows
        .slice(i, i + 100)
        .map((row) => ({ id: Number(row.id), features: row.features }));
      await request(this.test.app.getHttpServer()).post('/predict').send({ instances }).expect(200);
    }
  }

  /** The held labels arrive. */
  async labelsArrive(): Promise<void> {
    await this.dataSource.query(
      `UPDATE sales s SET reordered = v.reordered, label_updated_at = now()
         FROM unnest($1::bigint[], $2::boolean[]) AS v (id, reordered)
        WHERE s.id = v.id`,
      [this.held.map((h) => h.id), this.held.map((h) => h.reordered)],
    );
  }

  async evaluate(): Promise<Evaluation> {
    const response = await request(this.test.app.getHttpServer())
      .post('/retraining/evaluate')
      .set('Authorization', `Bearer ${OPS}`)
      .expect(200);
    return response.body as Evaluation;
  }

  /** The accuracy the evaluation estimated for the served version over the whole window. */
  estimatedAccuracy(evaluation: Evaluation): number {
    const mine = evaluation.estimation?.versions.find((v) => v.version === this.version);
    expect(mine?.estimated).toBeDefined();
    return mine!.estimated!.accuracy.value;
  }

  async metrics(): Promise<string> {
    return (await request(this.test.app.getHttpServer()).get('/metrics').expect(200)).text;
  }
}

// Confidence-based estimation follows a covariate shift (the inputs move, the rule that decides
// the label stays): the estimate made before any label arrives is the accuracy measured once
// they have.
describe('Estimated performance on a shifted world (e2e)', () => {
  const story = new EstimationStory(`estimation_shift_${process.pid}`, (shiftFrom) => ({
    shiftFrom,
  }));
  let before: Evaluation;

  beforeAll(async () => {
    await story.start();
    await story.predictWithLabelsHeld();
    before = await story.evaluate();
  });
  afterAll(() => story.stop());

  it('should say WATCH before any label arrives, with the estimate and the drifting features', () => {
    expect(before).toMatchObject({ modelVersion: story.version, labelled: 0 });
    expect(before.recommendation).toBe('WATCH');
    expect(before.reasons.join(' ')).toMatch(/drift/i);
    const significant = before.drift.features.filter((f) => f.level === 'significant');
    expect(significant.map((f) => f.feature)).toEqual(
      expect.arrayContaining(['product_category', 'unit_price']),
    );
    expect(before.estimation!.unlabelledDays.days).toHaveLength(1);
    expect(before.estimation!.unlabelledDays.estimated!.predictions).toBe(PREDICTIONS);
  });

  it('should have estimated, before the labels, the accuracy measured once they arrive (within 3 points)', async () => {
    await story.labelsArrive();

    const after = await story.evaluate();

    expect(after.labelled).toBe(PREDICTIONS);
    const estimated = story.estimatedAccuracy(before);
    expect(Math.abs(estimated - after.accuracy!)).toBeLessThanOrEqual(0.03);
    process.stdout.write(
      `shifted world: estimated ${(100 * estimated).toFixed(1)}% before the labels, realized ${(100 * after.accuracy!).toFixed(1)}% after\n`,
    );
    expect(await story.metrics()).toContain(
      `mle_model_estimated_accuracy_ratio{model="${after.model}",version="${story.version}"} ${story.estimatedAccuracy(after)}`,
    );
  });
});

// And it is blind to a concept drift (the rule changes, the probabilities do not know it): the
// estimate stays high while the realized accuracy falls, and the drift figures are what warns.
describe('Estimated performance on a drifted world (e2e)', () => {
  const story = new EstimationStory(`estimation_drift_${process.pid}`, (driftFrom) => ({
    driftFrom,
  }));

  beforeAll(async () => {
    await story.start();
    await story.predictWithLabelsHeld();
    await story.labelsArrive();
  });
  afterAll(() => story.stop());

  it('should keep the estimate high while the realized accuracy falls below the threshold, and flag drift', async () => {
    const evaluation = await story.evaluate();

    expect(evaluation.recommendation).toBe('RETRAIN');
    expect(evaluation.labelled).toBe(PREDICTIONS);
    expect(evaluation.accuracy).toBeLessThan(0.7);
    const estimated = story.estimatedAccuracy(evaluation);
    expect(estimated).toBeGreaterThanOrEqual(0.75);
    expect(estimated - evaluation.accuracy!).toBeGreaterThan(0.1);
    expect(evaluation.drift.features.some((f) => f.level !== 'stable')).toBe(true);
    process.stdout.write(
      `drifted world: estimated ${(100 * estimated).toFixed(1)}%, realized ${(100 * evaluation.accuracy!).toFixed(1)}%, ` +
        `drifting: ${evaluation.drift.features
          .filter((f) => f.level !== 'stable')
          .map((f) => `${f.feature} ${f.psi}`)
          .join(', ')}\n`,
    );
  });
});
