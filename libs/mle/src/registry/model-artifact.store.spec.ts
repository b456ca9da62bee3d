import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_MLE_OPTIONS } from '../module/mle.options';
import {
  FAKE_MODEL_FILE,
  fakeManifestParts,
  FakeModelService,
} from '../testing/fake-model.service';
import { ModelArtifactStore } from './model-artifact.store';
import { ModelArtifactError } from './registry.errors';
import { MANIFEST_FILE } from './model-manifest';

const manifestParts = fakeManifestParts;

describe(ModelArtifactStore.name, () => {
  let modelDir: string;
  let store: ModelArtifactStore;
  const model = new FakeModelService().withThreshold(0.3);

  beforeEach(async () => {
    modelDir = await mkdtemp(join(tmpdir(), 'mle-store-'));
    store = new ModelArtifactStore({ ...DEFAULT_MLE_OPTIONS, modelDir, keepVersions: 2 });
  });

  afterEach(async () => {
    await rm(modelDir, { recursive: true, force: true });
  });

  it('should save a complete version folder with checksums and not make it current', async () => {
    const manifest = await store.save(model, manifestParts());

    const dir = join(modelDir, 'fake-model', manifest.version);
    expect((await readdir(dir)).sort()).toEqual([FAKE_MODEL_FILE, MANIFEST_FILE]);
    expect(manifest.files[FAKE_MODEL_FILE]).toMatch(/^[0-9a-f]{64}$/);
    expect(await store.currentVersion('fake-model')).toBeUndefined();
    expect(await readdir(join(modelDir, 'fake-model'))).toEqual([manifest.version]);
  });

  it('should switch current to a promoted version', async () => {
    const first = await store.save(model, manifestParts(new Date(Date.UTC(2026, 0, 1))));
    const second = await store.save(model, manifestParts(new Date(Date.UTC(2026, 0, 2))));
    await store.promote('fake-model', first.version);
    await store.promote('fake-model', second.version);

    expect(await store.currentVersion('fake-model')).toBe(second.version);
    const files = await readdir(join(modelDir, 'fake-model'));
    expect(files.filter((f) => f.includes('tmp'))).toEqual([]);
  });

  it('should refuse to promote a corrupted version and keep the current one', async () => {
    const good = await store.save(model, manifestParts(new Date(Date.UTC(2026, 0, 1))));
    await store.promote('fake-model', good.version);
    const bad = await store.save(model, manifestParts(new Date(Date.UTC(2026, 0, 2))));
    await writeFile(
      join(modelDir, 'fake-model', bad.version, FAKE_MODEL_FILE),
      '{"threshold":0.9}',
    );

    await expect(store.promote('fake-model', bad.version)).rejects.toThrow(
      /is corrupted: fake\.json is not the file that was saved/,
    );
    expect(await store.currentVersion('fake-model')).toBe(good.version);
  });

  it.each([
    ['a missing manifest', (dir: string) => rm(join(dir, MANIFEST_FILE)), /no manifest\.json/],
    [
      'an unreadable manifest',
      (dir: string) => writeFile(join(dir, MANIFEST_FILE), '{"name":'),
      /unreadable manifest/,
    ],
    [
      'a missing parameter file',
      (dir: string) => rm(join(dir, FAKE_MODEL_FILE)),
      /fake\.json is missing/,
    ],
    [
      'a manifest of another model',
      async (dir: string) => {
        const manifest = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8')) as object;
        await writeFile(join(dir, MANIFEST_FILE), JSON.stringify({ ...manifest, name: 'other' }));
      },
      /manifest for another model/,
    ],
    [
      'a parameter file replaced by a folder',
      async (dir: string) => {
        await rm(join(dir, FAKE_MODEL_FILE));
        await mkdir(join(dir, FAKE_MODEL_FILE));
      },
      /fake\.json is a folder, not a file/,
    ],
    [
      'a manifest replaced by a folder',
      async (dir: string) => {
        await rm(join(dir, MANIFEST_FILE));
        await mkdir(join(dir, MANIFEST_FILE));
      },
      /manifest\.json is a folder, not a file/,
    ],
  ])('should give a clear error when reading %s', async (_, damage, message) => {
    const manifest = await store.save(model, manifestParts());
    await damage(join(modelDir, 'fake-model', manifest.version));

    const read = store.read('fake-model', manifest.version);
    await expect(read).rejects.toThrow(ModelArtifactError);
    await expect(store.read('fake-model', manifest.version)).rejects.toThrow(message);
  });

  it('should give a clear error when current is a folder', async () => {
    await mkdir(join(modelDir, 'fake-model', 'current'), { recursive: true });

    const current = store.currentVersion('fake-model');

    await expect(current).rejects.toThrow(ModelArtifactError);
    await expect(store.currentVersion('fake-model')).rejects.toThrow(/current is a folder/);
  });

  it('should refuse a version name that is not one', async () => {
    await expect(store.read('fake-model', '../../etc')).rejects.toThrow(/is not a model version/);
  });

  it('should keep the configured number of old versions besides current when pruning', async () => {
    const saved = [];
    for (let day = 1; day <= 5; day++) {
      saved.push(await store.save(model, manifestParts(new Date(Date.UTC(2026, 0, day)))));
    }
    await store.promote('fake-model', saved[0].version);

    const removed = await store.prune('fake-model');

    expect(removed).toEqual([saved[1].version, saved[2].version]);
    expect(await store.versions('fake-model')).toEqual([
      saved[0].version,
      saved[3].version,
      saved[4].version,
    ]);
  });

  it('should leave no partial folder behind when the model fails to save', async () => {
    const failing = new FakeModelService();
    await expect(store.save(failing, manifestParts())).rejects.toThrow(/not fitted/);
    expect(await readdir(join(modelDir, 'fake-model'))).toEqual([]);
  });
});
