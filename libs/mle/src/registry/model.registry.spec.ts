import { Injectable } from '@nestjs/common';
import { TestingModule } from '@nestjs/testing';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Features } from '../feature-schema';
import { Prediction } from '../model.service';
import { FAKE_MODEL_FILE, FakeModelService } from '../testing/fake-model.service';
import { FakeTrainingData, fakeTrainingRows } from '../testing/fake-training.data';
import { createMleTestingModule } from '../testing/mle-testing.module';
import { TrainingData } from '../training/training-data.source';
import { ModelTrainer } from '../training/model.trainer';
import { ModelArtifactStore } from './model-artifact.store';
import { ModelRegistry } from './model.registry';
import { RegisteredModel } from './registered-model';
import { ModelArtifactError } from './registry.errors';

/** The fake model, but it predicts only the colours its file lists (as a fitted encoder would). */
@Injectable()
class ColourListModel extends FakeModelService {
  private colours: readonly string[] = ['red', 'green', 'blue'];

  override async load(dir: string): Promise<void> {
    await super.load(dir);
    const file = JSON.parse(await readFile(join(dir, FAKE_MODEL_FILE), 'utf8')) as {
      colours?: string[];
    };
    this.colours = file.colours ?? ['red', 'green', 'blue'];
  }

  override predict(inputs: readonly Features[]): Prediction[] {
    for (const { colour } of inputs) {
      if (!this.colours.includes(colour as string)) throw new RangeError('unknown category');
    }
    return super.predict(inputs);
  }
}

/** Rewrites a version's model file and records its new checksum, as a deliberate edit would. */
async function rewriteModelFile(dir: string, content: string): Promise<void> {
  const manifestPath = join(dir, 'manifest.json');
  await writeFile(join(dir, FAKE_MODEL_FILE), content);
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as {
    files: Record<string, string>;
  };
  manifest.files[FAKE_MODEL_FILE] = createHash('sha256').update(content).digest('hex');
  await writeFile(manifestPath, JSON.stringify(manifest));
}

describe(RegisteredModel.name, () => {
  let modelDir: string;
  let moduleRef: TestingModule;
  let registry: RegisteredModel;
  let trainer: ModelTrainer;
  let data: FakeTrainingData;

  beforeEach(async () => {
    modelDir = await mkdtemp(join(tmpdir(), 'mle-registry-'));
    moduleRef = await createMleTestingModule({ modelDir });
    registry = moduleRef.get(ModelRegistry).first;
    trainer = moduleRef.get(ModelTrainer);
    data = moduleRef.get(TrainingData);
  });

  afterEach(async () => {
    await moduleRef.close();
    await rm(modelDir, { recursive: true, force: true });
  });

  async function trainVersion(cut: number): Promise<string> {
    data.set(fakeTrainingRows(400, cut));
    const outcome = await trainer.train({ force: true });
    return outcome.candidate.version;
  }

  it('should serve nothing when no version exists', async () => {
    await expect(registry.reload()).rejects.toThrow(/holds no current version of fake-model/);
    expect(registry.current).toBeUndefined();
  });

  it('should serve the current version after a reload', async () => {
    const version = await trainVersion(0.5);
    const served = await registry.reload();
    expect(served.manifest.version).toBe(version);
    expect(registry.current?.model.version).toBe(version);
  });

  it('should finish in-flight predictions on the old version and serve new ones from the new', async () => {
    const oldVersion = await trainVersion(0); // threshold ≈ 0.5: 0.55 is true
    await registry.reload();
    const newVersion = await trainVersion(0.5); // threshold ≈ 0.75: 0.55 is false

    const probe = { score: 0.55, flag: true, colour: 'red' };
    // Predictions keep arriving while the reload reads and checks files.
    const seen: string[] = [];
    const reload = registry.reload();
    let done = false;
    void reload.finally(() => (done = true));
    while (!done) {
      const { model } = registry.current!;
      const [answer] = model.predict([probe]);
      seen.push(`${model.version}:${answer.prediction}`);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await reload;
    const { model } = registry.current!;
    seen.push(`${model.version}:${model.predict([probe])[0].prediction}`);

    // Every answer is consistent with its own version; the switch happens once.
    const expected = { [oldVersion]: 'true', [newVersion]: 'false' };
    expect(seen.every((s) => s.split(':')[1] === expected[s.split(':')[0]])).toBe(true);
    expect(seen.filter((s) => s.startsWith(oldVersion)).length).toBeGreaterThan(1);
    expect(seen[0].startsWith(oldVersion)).toBe(true);
    expect(seen.at(-1)?.startsWith(newVersion)).toBe(true);
    const switches = seen.filter((s, i) => i > 0 && s.split(':')[0] !== seen[i - 1].split(':')[0]);
    expect(switches).toHaveLength(1);
  });

  it('should keep the working model when the new current version is corrupted', async () => {
    const good = await trainVersion(0.5);
    await registry.reload();
    const bad = await trainVersion(0.7);
    await writeFile(join(modelDir, 'fake-model', bad, FAKE_MODEL_FILE), '{"threshold":"x"}');

    await expect(registry.reload()).rejects.toThrow(/corrupted/);
    expect(registry.current?.manifest.version).toBe(good);
  });

  it('should keep the working model when the model cannot parse its own files', async () => {
    const good = await trainVersion(0.5);
    await registry.reload();
    const store = moduleRef.get(ModelArtifactStore);
    const bad = await trainVersion(0.7);
    // The checksum matches, but the content is not what load expects.
    await rewriteModelFile(join(modelDir, 'fake-model', bad), '{}');
    await expect(store.read('fake-model', bad)).resolves.toBeDefined();

    await expect(registry.reload()).rejects.toThrow(/could not be loaded.*has no threshold/);
    expect(registry.current?.manifest.version).toBe(good);
  });

  describe('verification', () => {
    beforeEach(async () => {
      await moduleRef.close();
      moduleRef = await createMleTestingModule({ modelDir }, ColourListModel);
      registry = moduleRef.get(ModelRegistry).first;
      trainer = moduleRef.get(ModelTrainer);
      data = moduleRef.get(TrainingData);
    });

    it('should keep the working model when the new version cannot predict a value the schema allows', async () => {
      const good = await trainVersion(0.5);
      await registry.reload();
      const bad = await trainVersion(0.7);
      await rewriteModelFile(
        join(modelDir, 'fake-model', bad),
        JSON.stringify({ threshold: 0.7, colours: ['red', 'green'] }),
      );

      await expect(registry.reload()).rejects.toThrow(
        new RegExp(
          `version ${bad} cannot predict colour="blue": unknown category.*cannot answer every input`,
        ),
      );
      expect(registry.current?.manifest.version).toBe(good);
      expect(registry.current?.model.predict([{ score: 1, flag: true, colour: 'blue' }])).toEqual([
        { prediction: true, probability: 1 },
      ]);
    });

    it('should refuse to load a version that cannot predict for training to compare with', async () => {
      const bad = await trainVersion(0.7);
      await rewriteModelFile(
        join(modelDir, 'fake-model', bad),
        JSON.stringify({ threshold: 0.7, colours: ['green', 'blue'] }),
      );

      await expect(registry.loadVersion(bad)).rejects.toThrow(ModelArtifactError);
      await expect(registry.loadVersion(bad)).rejects.toThrow(/cannot predict colour="red"/);
    });
  });
});
