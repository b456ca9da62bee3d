import { TestingModule } from '@nestjs/testing';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FAKE_MODEL_FILE } from '../testing/fake-model.service';
import { FakeTrainingDataSource, fakeTrainingRows } from '../testing/fake-training-data.source';
import { createMleTestingModule } from '../testing/mle-testing.module';
import { TrainingDataSource } from '../training/training-data.source';
import { ModelTrainer } from '../training/model.trainer';
import { ModelArtifactStore } from './model-artifact.store';
import { ModelRegistry } from './model.registry';

describe(ModelRegistry.name, () => {
  let modelDir: string;
  let moduleRef: TestingModule;
  let registry: ModelRegistry;
  let trainer: ModelTrainer;
  let data: FakeTrainingDataSource;

  beforeEach(async () => {
    modelDir = await mkdtemp(join(tmpdir(), 'mle-registry-'));
    moduleRef = await createMleTestingModule({ modelDir });
    registry = moduleRef.get(ModelRegistry);
    trainer = moduleRef.get(ModelTrainer);
    data = moduleRef.get(TrainingDataSource);
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
    await expect(registry.reload()).rejects.toThrow(/holds no current version.*npm run train/);
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
    const manifestPath = join(modelDir, 'fake-model', bad, 'manifest.json');
    await writeFile(join(modelDir, 'fake-model', bad, FAKE_MODEL_FILE), '{}');
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as {
      files: Record<string, string>;
    };
    manifest.files[FAKE_MODEL_FILE] = createHash('sha256').update('{}').digest('hex');
    await writeFile(manifestPath, JSON.stringify(manifest));
    await expect(store.read('fake-model', bad)).resolves.toBeDefined();

    await expect(registry.reload()).rejects.toThrow(/could not be loaded.*has no threshold/);
    expect(registry.current?.manifest.version).toBe(good);
  });
});
