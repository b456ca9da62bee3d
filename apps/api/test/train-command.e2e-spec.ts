import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../../test/cli';
import { dropScratchDatabase } from '../../../test/test-database';
import { scratchDatabaseWithDemo } from './retraining-fixtures';
import { modelName } from './test-app';

const now = new Date(Date.UTC(2026, 10, 1));
const driftFrom = new Date(Date.UTC(2026, 7, 1));
const accuracyOf = (stdout: string) => Number(/accuracy\s+([\d.]+)%/.exec(stdout)?.[1]) / 100;

// The default model, trained by the command-line tool on its plug-in's demo data.
describe('npm run train (e2e)', () => {
  const database = `train_cli_${process.pid}`;
  const model = modelName();
  let modelDir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    const url = await scratchDatabaseWithDemo(database, { rows: 20_000, now, driftFrom });
    modelDir = await mkdtemp(join(tmpdir(), 'train-cli-'));
    env = { DATABASE_URL: url, MODEL_DIR: modelDir };
  });

  afterAll(async () => {
    await dropScratchDatabase(database);
    await rm(modelDir, { recursive: true, force: true });
  });

  it('should train on the rows of a range and promote the first version, saying there was none', async () => {
    const result = await runCli('train', ['--to', '2026-07-31'], env);

    expect(result.code).toBe(0);
    expect(accuracyOf(result.stdout)).toBeGreaterThan(0.5);
    expect(result.stdout).toContain(`Trained ${model} `);
    expect(result.stdout).toContain('Promoted: there was no current version');
    const current = (await readFile(join(modelDir, model, 'current'), 'utf8')).trim();
    const manifest = JSON.parse(
      await readFile(join(modelDir, model, current, 'manifest.json'), 'utf8'),
    ) as { training: { to: string }; reference: Record<string, unknown>; featureSchema: unknown[] };
    expect(manifest.training.to < '2026-07-31').toBe(true);
    expect(Object.keys(manifest.reference)).toHaveLength(manifest.featureSchema.length);
  });

  it('should compare the candidate with the current version on the same holdout', async () => {
    // After the drift the pre-drift model is poor, and a model of the new rule beats it.
    const result = await runCli(
      'train',
      ['--model', model, '--from', '2026-08-01', '--to', '2026-09-30'],
      env,
    );

    expect(result.code).toBe(0);
    const [, candidate, current] = /accuracy\s+([\d.]+)%\s+([\d.]+)%/.exec(result.stdout) ?? [];
    expect(Number(candidate)).toBeGreaterThan(Number(current));
    expect(result.stdout).toMatch(/Promoted: holdout accuracy 0\.\d+ is not below the current/);
    const versions = (await readdir(join(modelDir, model))).filter((f) => /^\d/.test(f));
    expect(versions).toHaveLength(2);
  });

  it('should exit 2 with the usage when an argument is wrong', async () => {
    const result = await runCli('train', ['--to', 'yesterday-ish'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--to must be a date.*usage: npm run train/s);
  });

  it('should exit 2 naming the served models when --model names none', async () => {
    const result = await runCli('train', ['--model', 'no-such-model'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`--model must name a served model (${model}`);
  });

  it('should say how to seed when the range holds no rows', async () => {
    const result = await runCli('train', ['--from', '2030-01-01'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${model} has no rows in the range to train on`);
    expect(result.stderr).toContain(`npm run seed -- --model ${model}`);
  });

  it('should say to wait for labels when the rows of the range are not labelled yet', async () => {
    // The demo's most recent days wait for their labels.
    const result = await runCli('train', ['--from', '2026-10-25'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/only 0 of the \d+ rows .* are labelled.*wait for the labels/);
  });
});
