import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { runCli } from '../../../test/cli';
import {
  createScratchDatabase,
  dropScratchDatabase,
  migrateTestDatabase,
} from '../../../test/test-database';
import { modelDirWithModels, modelName } from './test-app';

// Versions between a folder laid out as MODEL_DIR and the database, both ways, checked.
describe('npm run models:import / models:export (e2e)', () => {
  const database = `models_cli_${process.pid}`;
  const model = modelName();
  let url: string;
  let env: Record<string, string>;
  let source: string;
  let version: string;
  const dirs: string[] = [];

  beforeAll(async () => {
    url = await createScratchDatabase(database);
    await migrateTestDatabase(url);
    source = await modelDirWithModels();
    dirs.push(source);
    [version] = (await readdir(join(source, model))).filter((f) => f !== 'current');
    const cache = await mkdtemp(join(tmpdir(), 'models-cli-cache-'));
    dirs.push(cache);
    env = { DATABASE_URL: url, MODEL_DIR: cache };
  });

  afterAll(async () => {
    await dropScratchDatabase(database);
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('should import a folder once, then find its versions already stored', async () => {
    const first = await runCli('models', ['import', '--dir', source], env);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/Imported \d+ version\(s\), 0 already stored, refused 0/);

    const again = await runCli('models', ['import', '--dir', source, '--model', model], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Imported 0 version(s), 1 already stored, refused 0');
  });

  it('should export the stored versions, byte for byte, with current naming the champion', async () => {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(
        `INSERT INTO model_versions (model, version, role) VALUES ($1, $2, 'champion')`,
        [model, version],
      );
    } finally {
      await client.end();
    }
    const target = await mkdtemp(join(tmpdir(), 'models-cli-export-'));
    dirs.push(target);

    const result = await runCli('models', ['export', '--dir', target], env);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`current names the champion ${version}`);
    expect((await readFile(join(target, model, 'current'), 'utf8')).trim()).toBe(version);
    for (const file of await readdir(join(source, model, version))) {
      expect(await readFile(join(target, model, version, file))).toEqual(
        await readFile(join(source, model, version, file)),
      );
    }
  });

  it('should refuse a version whose files do not match its manifest, and exit 1 saying so', async () => {
    const damaged = await modelDirWithModels();
    dirs.push(damaged);
    const [other] = (await readdir(join(damaged, model))).filter((f) => f !== 'current');
    const manifest = JSON.parse(
      await readFile(join(damaged, model, other, 'manifest.json'), 'utf8'),
    ) as { files: Record<string, string> };
    await writeFile(join(damaged, model, other, Object.keys(manifest.files)[0]), 'tampered');

    const result = await runCli('models', ['import', '--dir', damaged, '--model', model], env);

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(new RegExp(`refused ${model} ${other}: .* is corrupted`));
    expect(result.stderr).toMatch(/1 version\(s\) were refused/);
  });

  it.each([
    [['import'], /--dir is required/],
    [['upload', '--dir', '/tmp'], /say export or import/],
    [['import', '--dir', '/nonexistent/models'], /is not a folder/],
  ])('should answer %j with a usage error (exit 2)', async (args, message) => {
    const result = await runCli('models', args, env);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});
