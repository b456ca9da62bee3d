import { PredictionPartitionRepository } from '@app/mle/monitoring';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../apps/api/src/database/data-source.options';
import { EmbeddedPostgresServer } from '../apps/api/src/database/embedded-postgres.server';
import { SERVED_MODELS } from '../apps/api/src/served-models';
import { freePort } from './free-port';
import { median } from './median';

// npm run bench:retention — bounded storage of `predictions`: DAYS simulated days of logged
// predictions (ROWS_PER_DAY each, by COPY, as the ingestion loads them), and after each day the
// nightly partition work (partitions ahead, days older than the retention detached and dropped,
// old rows of the DEFAULT partition deleted) with a short retention. The retention is given to
// the repository directly: the service refuses one below EVALUATION_WINDOW_DAYS + LABEL_DELAY_DAYS.
const DAYS = Number(process.env.BENCH_DAYS ?? 60);
const ROWS_PER_DAY = Number(process.env.BENCH_ROWS_PER_DAY ?? 30_000);
const RETENTION_DAYS = Number(process.env.BENCH_RETENTION_DAYS ?? 30);
const AHEAD_DAYS = 7;
const DAY_MS = 86_400_000;
// A fixed calendar, so that runs compare: the first simulated day.
const FIRST_DAY = Date.UTC(2030, 0, 1);
const PLUGIN = SERVED_MODELS[0];
const MODEL = new PLUGIN.model().name;
const EXAMPLES = PLUGIN.demo?.examples ?? [{}];
const MIB = 1024 * 1024;

const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const csv = (text: string) => `"${text.replaceAll('"', '""')}"`;

/** One simulated day of predictions as COPY csv lines, spread over the day. */
function* dayRows(day: number): Generator<string> {
  const start = FIRST_DAY + day * DAY_MS;
  for (let i = 0; i < ROWS_PER_DAY; i++) {
    const n = day * ROWS_PER_DAY + i;
    const at = new Date(start + Math.floor((i * DAY_MS) / ROWS_PER_DAY)).toISOString();
    const id = createHash('md5').update(`bench-${n}`).digest('hex');
    const features = JSON.stringify(EXAMPLES[n % EXAMPLES.length]);
    yield (
      `${id},req-${n},${1 + (n % 500_000)},${at},${MODEL},bench-v1,${n % 3 !== 0},` +
      `${(n % 100) / 100},${csv(features)},0.4,false\n`
    );
  }
}

async function copyDay(client: Client, day: number): Promise<void> {
  await pipeline(
    Readable.from(dayRows(day)),
    client.query(
      copyFrom(
        `COPY predictions (id, request_id, input_id, predicted_at, model, model_version,
                           prediction, probability, features, latency_ms, shadow)
         FROM STDIN (FORMAT csv)`,
      ),
    ),
  );
}

function migrate(env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((done, fail) => {
    execFile(
      process.execPath,
      [resolve('dist/apps/api/src/cli/migrate.command.js'), 'run'],
      { env },
      (error, _stdout, stderr) =>
        error ? fail(new Error(`migrate failed: ${stderr.slice(-2000)}`)) : done(),
    );
  });
}

interface Night {
  day: string;
  rows: number;
  copySeconds: number;
  nightlySeconds: number;
  partitions: number;
  totalMiB: number;
  dropped: string[];
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'mle-bench-retention-'));
  await chmod(work, 0o711);
  const database = await EmbeddedPostgresServer.start({
    dir: join(work, 'postgres'),
    port: await freePort(),
  });
  const client = new Client({ connectionString: database.url });
  let dataSource: DataSource | undefined;
  try {
    await migrate({ ...process.env, NODE_ENV: 'production', DATABASE_URL: database.url });
    dataSource = await new DataSource(
      buildDataSourceOptions(
        { DATABASE_URL: database.url, EMBEDDED_PG_DIR: 'unused', EMBEDDED_PG_PORT: 0 },
        SERVED_MODELS,
      ),
    ).initialize();
    const partitions = new PredictionPartitionRepository(dataSource);
    const lock = { lockTimeoutMs: 30_000 };
    await client.connect();
    process.stderr.write(
      `${DAYS} simulated days of ${ROWS_PER_DAY.toLocaleString('en-US')} predictions, retention ${RETENTION_DAYS} days, partitions ${AHEAD_DAYS} days ahead\n`,
    );

    const nights: Night[] = [];
    // The first start-up: today's and the days ahead.
    await partitions.create(
      Array.from({ length: AHEAD_DAYS + 1 }, (_, i) => utcDay(FIRST_DAY + i * DAY_MS)),
      lock,
    );
    for (let day = 0; day < DAYS; day++) {
      const copying = performance.now();
      await copyDay(client, day);
      const copySeconds = (performance.now() - copying) / 1000;

      // The night after the day, at 02:00, as EVALUATION_CRON runs it.
      const now = FIRST_DAY + (day + 1) * DAY_MS + 2 * 3_600_000;
      const started = performance.now();
      const today = FIRST_DAY + (day + 1) * DAY_MS;
      await partitions.create(
        Array.from({ length: AHEAD_DAYS + 1 }, (_, i) => utcDay(today + i * DAY_MS)),
        lock,
      );
      const cutoff = new Date(now - RETENTION_DAYS * DAY_MS);
      const dropped = await partitions.dropEndingBy(cutoff, lock);
      await partitions.deleteDefaultBefore(cutoff, lock);
      const nightlySeconds = (performance.now() - started) / 1000;

      const list = await partitions.list();
      const [{ rows }] = (
        await client.query<{ rows: number }>(`SELECT count(*)::int AS rows FROM predictions`)
      ).rows;
      const night: Night = {
        day: utcDay(FIRST_DAY + day * DAY_MS),
        rows,
        copySeconds,
        nightlySeconds,
        partitions: list.length,
        totalMiB: list.reduce((sum, p) => sum + p.bytes, 0) / MIB,
        dropped: dropped.map((p) => p.name),
      };
      nights.push(night);
      process.stderr.write(
        `day ${String(day + 1).padStart(2)}/${DAYS} ${night.day}: copied in ${copySeconds.toFixed(2)} s, ` +
          `nightly ${(nightlySeconds * 1000).toFixed(0)} ms, ${rows.toLocaleString('en-US')} rows, ` +
          `${night.partitions} partitions, ${night.totalMiB.toFixed(1)} MiB` +
          (night.dropped.length ? `, dropped ${night.dropped.join(', ')}` : '') +
          '\n',
      );
    }

    const steady = nights.slice(RETENTION_DAYS);
    const sizes = steady.map((n) => n.totalMiB);
    const summary = {
      days: DAYS,
      rowsPerDay: ROWS_PER_DAY,
      retentionDays: RETENTION_DAYS,
      partitionsAhead: AHEAD_DAYS,
      sizeMiB: {
        [`after day ${Math.min(10, DAYS)}`]: Number(
          nights[Math.min(10, DAYS) - 1].totalMiB.toFixed(1),
        ),
        [`after day ${RETENTION_DAYS}`]: Number(nights[RETENTION_DAYS - 1]?.totalMiB.toFixed(1)),
        [`days ${RETENTION_DAYS + 1}–${DAYS}: min`]: Number(Math.min(...sizes).toFixed(1)),
        [`days ${RETENTION_DAYS + 1}–${DAYS}: max`]: Number(Math.max(...sizes).toFixed(1)),
      },
      rowsKept: {
        min: Math.min(...steady.map((n) => n.rows)),
        max: Math.max(...steady.map((n) => n.rows)),
      },
      partitionsDropped: nights.reduce((sum, n) => sum + n.dropped.length, 0),
      nightlySeconds: {
        median: Number(median(nights.map((n) => n.nightlySeconds)).toFixed(3)),
        medianWithDrop: Number(
          median(nights.filter((n) => n.dropped.length).map((n) => n.nightlySeconds)).toFixed(3),
        ),
        max: Number(Math.max(...nights.map((n) => n.nightlySeconds)).toFixed(3)),
      },
      copySecondsPerDay: Number(median(nights.map((n) => n.copySeconds)).toFixed(2)),
      note: 'size: pg_total_relation_size summed over the partitions (tables, indexes, TOAST) after each night; nightly: partitions ahead + DETACH/DROP past the retention + DEFAULT clean-up',
    };
    process.stdout.write('\nday          rows        partitions  MiB\n');
    for (const n of nights) {
      process.stdout.write(
        `${n.day}  ${n.rows.toLocaleString('en-US').padStart(9)}  ${String(n.partitions).padStart(10)}  ${n.totalMiB.toFixed(1).padStart(6)}\n`,
      );
    }
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  } finally {
    await client.end().catch(() => undefined);
    await dataSource?.destroy();
    await database.stop();
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench:retention failed: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exitCode = 1;
});
