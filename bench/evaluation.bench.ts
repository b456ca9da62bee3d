import { PredictionRecord } from '@app/mle/prediction-log';
import { LabelledTableSql } from '@app/mle/data';
import { SERVED_MODELS } from '../apps/api/src/served-models';
import { EmbeddedPostgresServer } from '../apps/api/src/database/embedded-postgres.server';
import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { Client } from 'pg';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { freePort } from './free-port';

// npm run bench:evaluation — the nightly job at scale, for the default model: 1,000,000 logged
// predictions in rotated and gzipped files of several processes, 1,000,000 labelled rows of its
// plug-in's demo data, then the first full
// ingestion + evaluation, a second run with nothing new, and a third after 10,000 new lines.
// Each run is a separate `npm run evaluate` process, so its peak memory is its own.
const PREDICTIONS = Number(process.env.BENCH_PREDICTIONS ?? 1_000_000);
const ROWS = Math.ceil(PREDICTIONS * 1.2); // the most recent demo rows are unlabelled
const PLUGIN = SERVED_MODELS[0];
const MODEL = new PLUGIN.model().name;
const EXAMPLES = PLUGIN.demo?.examples ?? [];
const PROCESSES = 4;
const FILES_PER_PROCESS = 5;
const DAY = 86_400_000;

interface Run {
  /** The command's wall time, start-up included. */
  seconds: number;
  peakRssMb: number;
  output: string;
}

function command(name: string, args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  const started = performance.now();
  return new Promise((done, fail) => {
    execFile(
      process.execPath,
      [
        '--require',
        resolve('dist/bench/peak-rss.reporter.js'),
        resolve(`dist/apps/api/src/cli/${name}.command.js`),
        ...args,
      ],
      { env, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) return fail(new Error(`${name} failed: ${stderr.slice(-2000)}`));
        const rss = Number(/peak-rss-kb (\d+)/.exec(stderr)?.[1] ?? 0);
        done({
          seconds: (performance.now() - started) / 1000,
          peakRssMb: Math.round(rss / 1024),
          output: stdout,
        });
      },
    );
  });
}

/** Writes `count` prediction lines for input ids spread over the labelled ones. */
function* lines(count: number, offset: number, version: string): Generator<string> {
  const now = Date.now();
  for (let i = 0; i < count; i++) {
    const n = offset + i;
    const record: PredictionRecord = {
      ts: new Date(now - ((n * 7919) % (25 * DAY))).toISOString(),
      requestId: `bench-${Math.floor(n / 10)}`,
      inputId: String(1 + ((n * 104_729) % Math.floor(ROWS * 0.8))),
      features: EXAMPLES[n % EXAMPLES.length],
      prediction: n % 3 !== 0,
      probability: (n % 100) / 100,
      model: MODEL,
      modelVersion: version,
      latencyMs: 0.5,
    };
    yield `${JSON.stringify(record)}\n`;
  }
}

async function writeLogs(dir: string, version: string): Promise<void> {
  const perFile = Math.ceil(PREDICTIONS / (PROCESSES * FILES_PER_PROCESS));
  let offset = 0;
  for (let p = 0; p < PROCESSES; p++) {
    for (let f = 0; f < FILES_PER_PROCESS; f++) {
      const count = Math.min(perFile, PREDICTIONS - offset);
      const suffix = f === 0 ? '' : `.${f}`;
      const name = join(dir, `predictions-benchhost${p}-${1000 + p}-2026-01-01${suffix}.jsonl`);
      // Every file but each process's current one is rotated, hence gzipped.
      const gzipped = f < FILES_PER_PROCESS - 1;
      const source = Readable.from(lines(count, offset, version));
      if (gzipped) await pipeline(source, createGzip(), createWriteStream(`${name}.gz`));
      else await pipeline(source, createWriteStream(name));
      offset += count;
    }
  }
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'mle-bench-eval-'));
  await chmod(work, 0o711);
  const logDir = join(work, 'logs');
  await mkdir(logDir);
  // One database server for the whole benchmark, so a run's time is not a server's start-up.
  const database = await EmbeddedPostgresServer.start({
    dir: join(work, 'postgres'),
    port: await freePort(),
  });
  const env = {
    ...process.env,
    NODE_ENV: 'production',
    DATABASE_URL: database.url,
    MODEL_DIR: join(work, 'models'),
    LOG_DIR: logDir,
    // The evaluation alone: a RETRAIN would also train a challenger on the last 90 days in each
    // run (the closed loop), which is training's cost, not the evaluation's.
    RETRAINING_MODE: 'recommend',
  };
  try {
    await command('migrate', ['run'], env);
    process.stderr.write(`Seeding ${ROWS.toLocaleString('en-US')} rows of ${MODEL}…\n`);
    await command('seed', ['--model', MODEL, '--rows', String(ROWS)], env);
    // The rows are history: their labels were recorded long ago, not at the seeding (the
    // trigger stamps every label it sees written as changed now).
    const client = new Client({ connectionString: database.url });
    await client.connect();
    try {
      const { labels } = PLUGIN.data!;
      const table = new LabelledTableSql(PLUGIN.data!.rows, labels, []).labelsTable;
      await client.query(`ALTER TABLE ${table} DISABLE TRIGGER USER`);
      await client.query(
        `UPDATE ${table} SET label_changed_at = now() - interval '60 days'
          WHERE "${labels.label}" IS NOT NULL`,
      );
      await client.query(`ALTER TABLE ${table} ENABLE TRIGGER USER`);
      await client.query(`VACUUM ANALYZE ${table}`);
    } finally {
      await client.end();
    }
    process.stderr.write('Training a model on the last 60 days of labelled rows…\n');
    await command(
      'train',
      ['--from', new Date(Date.now() - 90 * DAY).toISOString().slice(0, 10)],
      env,
    );
    const version = (await readFile(join(work, 'models', MODEL, 'current'), 'utf8')).trim();
    process.stderr.write(
      `Writing ${PREDICTIONS.toLocaleString('en-US')} logged predictions (${PROCESSES} processes × ${FILES_PER_PROCESS} files, rotated ones gzipped)…\n`,
    );
    await writeLogs(logDir, version);

    process.stderr.write('Run 1: ingest everything and evaluate…\n');
    const first = await command('evaluate', [], env);
    process.stderr.write('Run 2: nothing new…\n');
    const second = await command('evaluate', [], env);
    process.stderr.write('Run 3: 10,000 new lines…\n');
    const extra = createWriteStream(join(logDir, 'predictions-benchhost9-9999-2026-01-02.jsonl'));
    await pipeline(Readable.from(lines(10_000, PREDICTIONS, version)), extra);
    const third = await command('evaluate', [], env);

    const runSeconds = (run: Run) => Number(/Run took ([\d.]+) s/.exec(run.output)?.[1] ?? NaN);
    const steps = (run: Run) => {
      const ingest = /malformed lines skipped\) in ([\d.]+) s/.exec(run.output)?.[1];
      const update = /changed labels in ([\d.]+) s/.exec(run.output)?.[1];
      const evaluate = /Evaluated in ([\d.]+) s/.exec(run.output)?.[1];
      const partitions = /Partitions of predictions: .* in ([\d.]+) s/.exec(run.output)?.[1];
      return {
        ingest: Number(ingest),
        update: Number(update),
        evaluate: Number(evaluate),
        partitions: Number(partitions),
      };
    };
    const ingested = (run: Run) =>
      Number(/Ingested ([\d,]+) new predictions/.exec(run.output)?.[1].replace(/,/g, '') ?? NaN);
    const recommendation = new RegExp(`^${MODEL}: (\\S+)`, 'm').exec(first.output)?.[1];
    const report = {
      predictions: PREDICTIONS,
      model: MODEL,
      labelledRows: Math.floor(ROWS * (150 / 180)),
      files: PROCESSES * FILES_PER_PROCESS,
      runs: (
        [
          ['first: everything new', first],
          ['second: nothing new', second],
          ['third: 10,000 new lines', third],
        ] as [string, Run][]
      ).map(([run, result]) => ({
        run,
        runSeconds: runSeconds(result),
        stepSeconds: steps(result),
        commandSeconds: Number(result.seconds.toFixed(2)),
        ingested: ingested(result),
        peakRssMb: result.peakRssMb,
      })),
      recommendation,
      note: 'runSeconds: ingestion + evaluation as the run measures it (stepSeconds: loading the logs, counting what is new, evaluating, the partitions of predictions); commandSeconds: the whole command, Node and Nest start-up included',
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await database.stop();
    // BENCH_KEEP=1 keeps the database and logs for a look with EXPLAIN.
    if (process.env.BENCH_KEEP === '1') process.stderr.write(`Kept ${work}\n`);
    else await rm(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench:evaluation failed: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exitCode = 1;
});
