import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import {
  createScratchDatabase,
  dropScratchDatabase,
  migrateTestDatabase,
  openTestDataSource,
} from '../../../../test/test-database';
import { DEFAULT_MLE_OPTIONS } from '../module/mle.options';
import {
  FAKE_MODEL_FILE,
  fakeManifestParts,
  FakeModelService,
} from '../testing/fake-model.service';
import { ModelArtifactRepository } from './model-artifact.repository';
import { ModelArtifactStore } from './model-artifact.store';
import { MANIFEST_FILE } from './model-manifest';

const manifestParts = fakeManifestParts;

// Two replicas' caches (two MODEL_DIRs) on one database: what one saves, the other fetches.
describe('Model versions stored in PostgreSQL, MODEL_DIR as a cache', () => {
  const database = `artifacts_${process.pid}`;
  let dataSource: DataSource;
  let repository: ModelArtifactRepository;
  const dirs: string[] = [];
  const model = new FakeModelService().withThreshold(0.3);

  async function replica(): Promise<{ dir: string; store: ModelArtifactStore }> {
    const dir = await mkdtemp(join(tmpdir(), 'mle-cache-'));
    dirs.push(dir);
    const options = { ...DEFAULT_MLE_OPTIONS, modelDir: dir, keepVersions: 1 };
    return { dir, store: new ModelArtifactStore(options, repository) };
  }

  beforeAll(async () => {
    const url = await createScratchDatabase(database);
    await migrateTestDatabase(url);
    dataSource = await openTestDataSource(url);
    repository = new ModelArtifactRepository(dataSource);
  });

  afterAll(async () => {
    await dataSource.destroy();
    await dropScratchDatabase(database);
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('should store a saved version with its hashes, and fetch it into another cache', async () => {
    const one = await replica();
    const two = await replica();

    const manifest = await one.store.save(model, manifestParts());

    const stored = await repository.get('fake-model', manifest.version);
    expect(stored?.files.map((f) => [f.file, f.sha256])).toEqual([
      [FAKE_MODEL_FILE, manifest.files[FAKE_MODEL_FILE]],
    ]);
    expect(await two.store.versions('fake-model')).toContain(manifest.version);
    const read = await two.store.read('fake-model', manifest.version);
    expect(read.dir).toBe(join(two.dir, 'fake-model', manifest.version));
    expect(await readFile(join(read.dir, MANIFEST_FILE), 'utf8')).toBe(
      await readFile(join(one.dir, 'fake-model', manifest.version, MANIFEST_FILE), 'utf8'),
    );
    // Only the complete folder is left: no partial or stale copies.
    expect(await readdir(join(two.dir, 'fake-model'))).toEqual([manifest.version]);
  });

  it('should replace a cached copy that is not the stored one', async () => {
    const one = await replica();
    const manifest = await one.store.save(model, manifestParts());
    const file = join(one.dir, 'fake-model', manifest.version, FAKE_MODEL_FILE);
    const saved = await readFile(file);
    await writeFile(file, 'tampered');

    await one.store.read('fake-model', manifest.version);

    expect((await readFile(file)).equals(saved)).toBe(true);
  });

  it('should refuse a stored copy whose bytes do not match their hash, naming what to do', async () => {
    const one = await replica();
    const two = await replica();
    const manifest = await one.store.save(model, manifestParts());
    await dataSource.query(
      `UPDATE model_artifact_files SET content = 'tampered'::bytea WHERE version = $1`,
      [manifest.version],
    );

    await expect(two.store.read('fake-model', manifest.version)).rejects.toThrow(
      new RegExp(
        `database's copy of model fake-model version .* is corrupted: ${FAKE_MODEL_FILE} is not the file that was saved .*npm run models:import`,
      ),
    );
    expect(await readdir(join(two.dir, 'fake-model')).catch(() => [])).toEqual([]);
  });

  it('should refuse a stored copy holding a file its manifest does not list, writing nothing', async () => {
    const one = await replica();
    const two = await replica();
    const manifest = await one.store.save(model, manifestParts());
    await dataSource.query(
      `INSERT INTO model_artifact_files (model, version, file, sha256, size, content)
       VALUES ('fake-model', $1, '../../escaped', $2, 1, 'x'::bytea)`,
      [manifest.version, 'a'.repeat(64)],
    );

    await expect(two.store.read('fake-model', manifest.version)).rejects.toThrow(
      /holds "\.\.\/\.\.\/escaped", which its manifest does not list/,
    );
    expect(await readdir(two.dir)).toEqual([]);
  });

  it('should store a version only once, and refuse another manifest under the same version', async () => {
    const one = await replica();
    const manifest = await one.store.save(model, manifestParts());

    expect(await one.store.publish('fake-model', manifest.version)).toBe(false);
    const stored = (await repository.get('fake-model', manifest.version))!;
    await expect(
      repository.put({
        ...stored,
        manifest: `${stored.manifest} `,
        manifestSha256: 'f'.repeat(64),
      }),
    ).rejects.toThrow(/already stored with another manifest/);
  });

  it('should store the versions a folder holds from before, once', async () => {
    const legacy = await replica();
    const local = new ModelArtifactStore({ ...DEFAULT_MLE_OPTIONS, modelDir: legacy.dir });
    const manifest = await local.save(model, manifestParts());
    expect(await repository.manifest('fake-model', manifest.version)).toBeUndefined();

    expect(await legacy.store.publishAll('fake-model')).toEqual([manifest.version]);
    expect(await legacy.store.publishAll('fake-model')).toEqual([]);
    expect(await repository.manifest('fake-model', manifest.version)).toBeDefined();
  });

  it('should never delete a stored champion or shadow when pruning', async () => {
    const one = await replica();
    const kept = await one.store.save(model, manifestParts());
    await dataSource.query(
      `INSERT INTO model_versions (model, version, role) VALUES ('fake-model', $1, 'champion')
       ON CONFLICT (model, version) DO UPDATE SET role = 'champion'`,
      [kept.version],
    );
    const older = await one.store.save(model, manifestParts());
    await one.store.save(model, manifestParts());
    const newest = await one.store.save(model, manifestParts());
    await one.store.promote('fake-model', newest.version);

    await one.store.prune('fake-model');

    const stored = await repository.versions('fake-model');
    expect(stored).toContain(kept.version);
    expect(stored).toContain(newest.version);
    expect(stored).not.toContain(older.version);
  });

  it('should serve an intact cached copy while the database does not answer, and say why otherwise', async () => {
    const one = await replica();
    const two = await replica();
    const manifest = await one.store.save(model, manifestParts());
    const down = new DataSource({ ...dataSource.options, port: 1 } as never);
    const offline = (dir: string) =>
      new ModelArtifactStore(
        { ...DEFAULT_MLE_OPTIONS, modelDir: dir },
        new ModelArtifactRepository(down),
      );
    // Queries on a data source that never connected fail as a lost connection would.

    await expect(offline(one.dir).read('fake-model', manifest.version)).resolves.toMatchObject({
      manifest: { version: manifest.version },
    });
    await expect(offline(two.dir).read('fake-model', manifest.version)).rejects.toThrow(
      /is missing or has no manifest\.json\. It could not be fetched either: the database did not answer/,
    );
  });
});
