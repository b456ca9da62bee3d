import { TestingModule } from '@nestjs/testing';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelArtifactStore } from '../registry/model-artifact.store';
import { FAKE_MODEL_FILE, FakeModelService } from '../testing/fake-model.service';
import { FakeTrainingData, fakeTrainingRows } from '../testing/fake-training.data';
import { createMleTestingModule } from '../testing/mle-testing.module';
import { isHoldout, ModelTrainer, NoTrainingDataError } from './model.trainer';
import { TrainingData } from './training-data.source';

describe(ModelTrainer.name, () => {
  let modelDir: string;
  let moduleRef: TestingModule;
  let trainer: ModelTrainer;
  let store: ModelArtifactStore;
  let data: FakeTrainingData;

  beforeEach(async () => {
    modelDir = await mkdtemp(join(tmpdir(), 'mle-trainer-'));
    moduleRef = await createMleTestingModule({ modelDir, keepVersions: 10 });
    trainer = moduleRef.get(ModelTrainer);
    store = moduleRef.get(ModelArtifactStore);
    data = moduleRef.get(TrainingData);
    data.set(fakeTrainingRows(1_000, 0.5));
  });

  afterEach(async () => {
    await moduleRef.close();
    await rm(modelDir, { recursive: true, force: true });
  });

  /** Makes a hand-set fake model the current version. */
  async function currentWithThreshold(threshold: number): Promise<string> {
    const model = new FakeModelService().withThreshold(threshold);
    const manifest = await store.save(model, {
      createdAt: new Date(Date.UTC(2025, 0, 1)).toISOString(),
      featureSchema: model.featureSchema,
      training: {
        rows: 0,
        holdoutRows: 0,
        requested: {},
        holdout: (await trainer.train()).candidate.training.holdout,
        fit: { rows: 0 },
        seconds: 0,
      },
      reference: {},
    });
    await store.promote('fake-model', manifest.version);
    return manifest.version;
  }

  it('should promote the first version and describe its training in the manifest', async () => {
    const outcome = await trainer.train({ from: new Date(Date.UTC(2026, 0, 1)) });

    expect(outcome.promoted).toBe(true);
    expect(outcome.reason).toBe('there was no current version');
    expect(await store.currentVersion('fake-model')).toBe(outcome.candidate.version);
    const { training, reference } = outcome.candidate;
    expect(training.rows + training.holdoutRows).toBe(1_000);
    expect(training.holdoutRows).toBeGreaterThan(150);
    expect(training.holdoutRows).toBeLessThan(250);
    expect(training.from).toBe('2026-01-01T00:00:00.000Z');
    expect(training.requested.from).toBe('2026-01-01T00:00:00.000Z');
    expect(training.holdout.count).toBe(training.holdoutRows);
    expect(Object.keys(reference).sort()).toEqual(['colour', 'flag', 'score']);
  });

  it('should keep in the manifest a calibration fitted on the holdout probabilities', async () => {
    // The fake model's probability is its score, the label score >= 0.5: far from calibrated.
    const outcome = await trainer.train();

    const { manifest } = await store.read('fake-model', outcome.candidate.version);
    const report = manifest.training.calibration;
    expect(report).toMatchObject({
      method: 'platt',
      rows: manifest.training.holdoutRows,
      kept: true,
      calibration: { method: 'platt' },
    });
    expect(report?.eceBefore).toBeGreaterThan(0.1);
    expect(report?.eceAfter).toBeLessThan(report?.eceBefore ?? 0);
  });

  it('should keep a worse candidate out of service and say why', async () => {
    // The exact threshold 0.5 is perfect on this data; the fake fit lands near 0.75.
    const current = await currentWithThreshold(0.5);

    const outcome = await trainer.train();

    expect(outcome.promoted).toBe(false);
    expect(outcome.current?.version).toBe(current);
    expect(outcome.current?.holdout.accuracy).toBe(1);
    expect(outcome.candidate.training.holdout.accuracy).toBeLessThan(1);
    expect(outcome.reason).toMatch(/is below the current version's 1\.0000.*not promoted/);
    expect(await store.currentVersion('fake-model')).toBe(current);
    expect(await store.versions('fake-model')).toContain(outcome.candidate.version);
  });

  it('should promote a worse candidate when forced', async () => {
    await currentWithThreshold(0.5);
    const outcome = await trainer.train({ force: true });
    expect(outcome.promoted).toBe(true);
    expect(outcome.reason).toMatch(/^forced/);
    expect(await store.currentVersion('fake-model')).toBe(outcome.candidate.version);
  });

  it('should promote a candidate that is as good as the current version', async () => {
    const first = await trainer.train();
    const second = await trainer.train();
    expect(second.current?.version).toBe(first.candidate.version);
    expect(second.candidate.training.holdout.accuracy).toBe(second.current?.holdout.accuracy);
    expect(second.promoted).toBe(true);
  });

  it('should promote over a current version that can no longer be loaded', async () => {
    const current = await currentWithThreshold(0.5);
    await writeFile(join(modelDir, 'fake-model', current, FAKE_MODEL_FILE), 'garbage');

    const outcome = await trainer.train();

    expect(outcome.promoted).toBe(true);
    expect(outcome.reason).toMatch(/could not be loaded.*corrupted/);
  });

  it('should refuse to fit when the range holds too few labelled rows', async () => {
    await expect(trainer.train({ from: new Date(Date.UTC(2030, 0, 1)) })).rejects.toThrow(
      NoTrainingDataError,
    );
  });
});

describe(isHoldout.name, () => {
  it('should put about the asked fraction aside, the same ids every time', () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => String(i + 1));
    const aside = ids.filter((id) => isHoldout(id, 0.2));
    expect(aside.length / ids.length).toBeGreaterThan(0.18);
    expect(aside.length / ids.length).toBeLessThan(0.22);
    expect(ids.filter((id) => isHoldout(id, 0.2))).toEqual(aside);
  });
});
