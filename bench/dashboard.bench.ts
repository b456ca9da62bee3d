import { LabelledTableReader } from '@app/mle/data';
import { PredictionRecord } from '@app/mle/prediction-log';
import { ModelRegistry } from '@app/mle/registry';
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { appendFile, chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { DataSource } from 'typeorm';
import { createApp } from '../apps/api/src/app.factory';
import { validateEnv } from '../apps/api/src/config/env.validation';
import { EmbeddedPostgresServer } from '../apps/api/src/database/embedded-postgres.server';
import { SERVED_MODELS } from '../apps/api/src/served-models';
import { freePort } from './free-port';
import { median } from './median';

// npm run bench:dashboard — what opening the dashboard costs on 90 days of history: the demo
// data of the default model (the rule changes 60 days ago), a model trained before that, its
// answers to every row of the last 90 days logged at the row's own time (the older ones have
// their labels by now, the last 30 days' wait for them), one evaluation over a 90-day window;
// then GET /dashboard/data (median of BENCH_REQUESTS) and the page's first full render in
// headless Chromium (median of BENCH_RENDERS, each in a fresh browser context).
const ROWS = Number(process.env.BENCH_ROWS ?? 40_000);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 20);
const RENDERS = Number(process.env.BENCH_RENDERS ?? 5);
const DAYS = 90;
const DAY = 86_400_000;
const OPS = 'bench-ops-token-0123456789';
const MODEL = new SERVED_MODELS[0].model().name;

function chromiumOnPath(): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    for (const name of ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable']) {
      try {
        accessSync(join(dir, name), constants.X_OK);
        return join(dir, name);
      } catch {
        // not here
      }
    }
  }
  throw new Error('chromium is not on PATH (apt-get install -y chromium)');
}

function command(name: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((done, fail) => {
    execFile(
      process.execPath,
      [resolve(`dist/apps/api/src/cli/${name}.command.js`), ...args],
      { env, maxBuffer: 64 * 1024 * 1024 },
      (error, _stdout, stderr) =>
        error ? fail(new Error(`${name} failed: ${stderr.slice(-2000)}`)) : done(),
    );
  });
}

const day = (at: Date) => at.toISOString().slice(0, 10);

async function main(): Promise<void> {
  const executablePath = chromiumOnPath();
  const work = await mkdtemp(join(tmpdir(), 'mle-bench-dashboard-'));
  // The embedded server runs as its own user when this runs as root: it must reach the folders.
  await chmod(work, 0o711);
  const logDir = join(work, 'logs');
  await mkdir(logDir);
  const database = await EmbeddedPostgresServer.start({
    dir: join(work, 'postgres'),
    port: await freePort(),
  });
  const now = new Date();
  const driftFrom = new Date(now.getTime() - 60 * DAY);
  const env = {
    ...process.env,
    NODE_ENV: 'production',
    DATABASE_URL: database.url,
    MODEL_DIR: join(work, 'models'),
    LOG_DIR: logDir,
    OPS_TOKEN: OPS,
    EVALUATION_WINDOW_DAYS: String(DAYS),
    EVALUATION_CRON: 'off',
    RETRAINING_MODE: 'recommend',
  };
  try {
    process.stderr.write(`Seeding ${ROWS.toLocaleString('en-US')} rows of ${MODEL}…\n`);
    await command('migrate', ['run'], env);
    await command(
      'seed',
      ['--model', MODEL, '--rows', String(ROWS), '--drift-from', day(driftFrom)],
      env,
    );
    process.stderr.write('Training a model on the rows before the drift…\n');
    await command('train', ['--model', MODEL, '--to', day(driftFrom), '--force'], env);

    Object.assign(process.env, env);
    const app = await createApp(validateEnv(process.env), { logger: ['error'] });
    await app.listen(0, '127.0.0.1');
    const origin = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    try {
      const model = app.get(ModelRegistry).get(MODEL);
      const served = model.current!;
      const reader = new LabelledTableReader(app.get(DataSource), model.data!);
      let logged = 0;
      let batch: PredictionRecord[] = [];
      const flush = async () => {
        const answers = served.model.predict(batch.map((r) => r.features));
        const lines = batch.map((r, i) =>
          JSON.stringify({
            ...r,
            prediction: answers[i].prediction,
            probability: answers[i].probability,
          }),
        );
        await appendFile(
          join(logDir, 'predictions-benchhost-1-2026-01-01.jsonl'),
          `${lines.join('\n')}\n`,
        );
        logged += batch.length;
        batch = [];
      };
      process.stderr.write(`Logging the model's answers to the rows of the last ${DAYS} days…\n`);
      for await (const row of reader.rows({
        from: new Date(now.getTime() - DAYS * DAY),
        to: now,
        labelledOnly: false,
      })) {
        batch.push({
          ts: row.at.toISOString(),
          requestId: `bench-${row.id}`,
          inputId: row.id,
          features: row.features,
          prediction: false,
          probability: 0,
          model: MODEL,
          modelVersion: served.manifest.version,
          latencyMs: 0.5,
        });
        if (batch.length === 1_000) await flush();
      }
      if (batch.length) await flush();

      process.stderr.write(`Evaluating ${logged.toLocaleString('en-US')} predictions…\n`);
      const evaluated = await fetch(`${origin}/retraining/evaluate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${OPS}` },
      });
      const evaluation = (await evaluated.json()) as {
        recommendation: string;
        estimation?: { daily: unknown[] };
        drift: { features: unknown[] };
      };
      if (!evaluated.ok) throw new Error(`the evaluation failed: ${JSON.stringify(evaluation)}`);

      process.stderr.write(`GET /dashboard/data × ${REQUESTS}…\n`);
      const dataMs: number[] = [];
      let bytes = 0;
      for (let i = 0; i < REQUESTS + 2; i++) {
        const started = performance.now();
        const response = await fetch(`${origin}/dashboard/data`);
        const body = await response.text();
        if (i >= 2) dataMs.push(performance.now() - started); // two warm-ups
        bytes = Buffer.byteLength(body);
      }

      process.stderr.write(`First full render in Chromium × ${RENDERS}…\n`);
      const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
      const renderMs: number[] = [];
      try {
        for (let i = 0; i < RENDERS + 1; i++) {
          const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
          const page = await context.newPage();
          const started = performance.now();
          await page.goto(`${origin}/dashboard`);
          await page.waitForSelector('body[data-state="ready"]');
          if (i >= 1) renderMs.push(performance.now() - started); // one warm-up
          const points = await page.getAttribute('[data-chart="accuracy"]', 'data-points');
          if (Number(points) !== evaluation.estimation?.daily.length)
            throw new Error(`the accuracy chart drew ${points} days`);
          await context.close();
        }
      } finally {
        await browser.close();
      }

      const report = {
        model: MODEL,
        rows: ROWS,
        loggedPredictions: logged,
        days: evaluation.estimation?.daily.length,
        features: evaluation.drift.features.length,
        recommendation: evaluation.recommendation,
        dashboardData: {
          requests: REQUESTS,
          medianMs: Number(median(dataMs).toFixed(1)),
          minMs: Number(Math.min(...dataMs).toFixed(1)),
          maxMs: Number(Math.max(...dataMs).toFixed(1)),
          bytes,
        },
        firstRender: {
          renders: RENDERS,
          medianMs: Math.round(median(renderMs)),
          minMs: Math.round(Math.min(...renderMs)),
          maxMs: Math.round(Math.max(...renderMs)),
        },
        note: 'firstRender: from navigation to every chart drawn (body[data-state=ready]), page, assets and data included; a fresh browser context each time',
      };
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    } finally {
      await app.close();
    }
  } finally {
    await database.stop();
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:dashboard failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
