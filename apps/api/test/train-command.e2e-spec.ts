import { DemoDataSeeder } from '@app/sales/demo/demo-data.seeder';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { runCli } from '../../../test/cli';
import {
  createScratchDatabase,
  dropScratchDatabase,
  migrateTestDatabase,
  openTestDataSource,
} from '../../../test/test-database';

const now = new Date(Date.UTC(2026, 10, 1));
const driftFrom = new Date(Date.UTC(2026, 7, 1));
const accuracyOf = (stdout: string) => Number(/accuracy\s+([\d.]+)%/.exec(stdout)?.[1]) / 100;

describe('npm run train (e2e)', () => {
  const database = `train_cli_${process.pid}`;
  let url: string;
  let modelDir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    url = await createScratchDatabase(database);
    await migrateTestDatabase(url);
    const dataSource: DataSource = await openTestDataSource(url);
    await new DemoDataSeeder(dataSource).seed({ rows: 20_000, seed: 42, now, driftFrom });
    await dataSource.destroy();
    modelDir = await mkdtemp(join(tmpdir(), 'train-cli-'));
    env = { DATABASE_URL: url, MODEL_DIR: modelDir };
  });

  afterAll(async () => {
    await dropScratchDatabase(database);
    await rm(modelDir, { recursive: true, force: true });
  });

  it('should train on pre-drift rows to at least 0.80 holdout accuracy and promote the first version', async () => {
    const result = await runCli('train', ['--to', '2026-07-31'], env);

    expect(result.code).toBe(0);
    expect(accuracyOf(result.stdout)).toBeGreaterThanOrEqual(0.8);
    expect(result.stdout).toContain('Promoted: there was no current version');
    const current = (await readFile(join(modelDir, 'sales-reorder', 'current'), 'utf8')).trim();
    const manifest = JSON.parse(
      await readFile(join(modelDir, 'sales-reorder', current, 'manifest.json'), 'utf8'),
    ) as { training: { to: string }; reference: Record<string, unknown> };
    expect(manifest.training.to < '2026-07-31').toBe(true);
    expect(Object.keys(manifest.reference)).toHaveLength(9);
  });

  it('should compare the candidate with the current version on the same holdout', async () => {
    // After the drift the pre-drift model is poor, and a model of the new rule beats it.
    const result = await runCli('train', ['--from', '2026-08-01', '--to', '2026-09-30'], env);

    expect(result.code).toBe(0);
    const [, candidate, current] = /accuracy\s+([\d.]+)%\s+([\d.]+)%/.exec(result.stdout) ?? [];
    expect(Number(candidate)).toBeGreaterThanOrEqual(80);
    expect(Number(current)).toBeLessThan(70);
    expect(result.stdout).toMatch(/Promoted: holdout accuracy 0\.\d+ is not below the current/);
    const versions = (await readdir(join(modelDir, 'sales-reorder'))).filter((f) => /^\d/.test(f));
    expect(versions).toHaveLength(2);
  });

  it('should exit 2 with the usage when an argument is wrong', async () => {
    const result = await runCli('train', ['--to', 'yesterday-ish'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--to must be a date.*usage: npm run train/s);
  });

  it('should exit 1 and say what to do when the range has no labels', async () => {
    const result = await runCli('train', ['--from', '2030-01-01'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/too few to fit.*Widen --from\/--to/);
  });
});
