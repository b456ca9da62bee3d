import autocannon from 'autocannon';
import { ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SERVED_MODELS } from '../apps/api/src/served-models';
import { freePort } from './free-port';
import { median } from './median';

// npm run bench — HTTP throughput and latency of POST /predict with autocannon on this machine
// (the load generator shares the cores with the service). Every variant (the plain handler, the
// service with its layers added one at a time, and the whole service) is
// started once and kept running idle; then the variants are measured in turn, round after round,
// so a slow minute of a shared machine falls on every variant alike. Each figure is the median
// over the rounds; within a round, req/s is the median of the per-second rates.
const FEATURES = SERVED_MODELS[0].demo?.examples[0] ?? {};
const CONNECTIONS = 50;
const DURATION_S = Number(process.env.BENCH_DURATION ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARMUP_S = 3;

async function waitFor(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 1800; i++) {
    if (child.exitCode !== null) throw new Error(`the process exited with code ${child.exitCode}`);
    const ok = await fetch(url).then(
      async (r) => {
        await r.body?.cancel();
        return r.ok;
      },
      () => false,
    );
    if (ok) return;
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`${url} did not answer within 3 minutes`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((done) => child.once('exit', done));
  child.kill('SIGTERM');
  await exited;
}

interface Variant {
  label: string;
  url: string;
  body: string;
  batch: number;
}

interface Sample {
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  failed: number;
}

interface Figures {
  requestsPerSecond: number;
  predictionsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** Non-2xx answers and errors over every round. */
  failed: number;
}

async function load(variant: Variant, seconds: number): Promise<Sample> {
  const result = await autocannon({
    url: variant.url,
    method: 'POST',
    connections: CONNECTIONS,
    duration: seconds,
    headers: { 'content-type': 'application/json' },
    body: variant.body,
  });
  return {
    requestsPerSecond: result.requests.p50,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    failed: result.non2xx + result.errors,
  };
}

function summarise(variant: Variant, samples: Sample[]): Figures {
  const requestsPerSecond = median(samples.map((s) => s.requestsPerSecond));
  return {
    requestsPerSecond,
    predictionsPerSecond: requestsPerSecond * variant.batch,
    latencyP50Ms: median(samples.map((s) => s.latencyP50Ms)),
    latencyP99Ms: median(samples.map((s) => s.latencyP99Ms)),
    failed: samples.reduce((sum, s) => sum + s.failed, 0),
  };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const pct = (n: number) => `${(n * 100).toFixed(1)}%`;

function table(rows: { label: string; figures: Figures; against?: Figures }[]): string {
  const lines = [
    '| variant | req/s | predictions/s | p50 | p99 | vs the row above | failed |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const { label, figures: f, against } of rows) {
    const vs = against ? pct(f.requestsPerSecond / against.requestsPerSecond) : '';
    lines.push(
      `| ${label} | ${fmt(f.requestsPerSecond)} | ${fmt(f.predictionsPerSecond)} | ${f.latencyP50Ms} ms | ${f.latencyP99Ms} ms | ${vs} | ${f.failed} |`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'mle-bench-'));
  // The embedded server runs as the `postgres` user, which must traverse this folder.
  await chmod(work, 0o711);
  const children: ChildProcess[] = [];
  const base = {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    EMBEDDED_PG_DIR: join(work, 'postgres'),
    EMBEDDED_PG_PORT: String(await freePort()),
    MODEL_DIR: join(work, 'models'),
    LOG_DIR: join(work, 'logs'),
    MAX_BATCH: '1000',
  };
  /** Starts a process on a port of its own; resolves with its origin once it answers `ready`. */
  const start = async (script: string, env: Record<string, string>, ready = '/health/ready') => {
    const port = await freePort();
    const child = spawn(process.execPath, [resolve(script)], {
      env: { ...process.env, ...base, ...env, PORT: String(port) },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(child);
    const origin = `http://127.0.0.1:${port}`;
    await waitFor(`${origin}${ready}`, child);
    return origin;
  };
  const single = JSON.stringify({ id: 1001, features: FEATURES });
  const batch100 = JSON.stringify({
    instances: Array.from({ length: 100 }, (_, i) => ({ id: i + 1, features: FEATURES })),
  });
  const service = 'dist/apps/api/src/main.js';
  const layered = 'dist/bench/layers.server.js';
  try {
    // The first start seeds the embedded database and trains the model; the others reuse both.
    process.stderr.write('Starting the service (embedded PostgreSQL, demo data, trained model)…\n');
    const full = await start(service, {});
    process.stderr.write('Starting the variants…\n');
    const plain = await start('dist/bench/plain-handler.server.js', {}, '/health');
    const bare = await start(layered, { BENCH_LAYERS: '', PREDICTION_LOG: 'off' });
    const logged = await start(layered, { BENCH_LAYERS: '' });
    const metered = await start(layered, { BENCH_LAYERS: 'metrics' });
    const unlogged = await start(service, { PREDICTION_LOG: 'off' });
    const twoWorkers = await start(service, { WORKERS: '2' });

    const v = (label: string, origin: string, path = '/predict', body = single): Variant => ({
      label,
      url: `${origin}${path}`,
      body,
      batch: body === single ? 1 : 100,
    });
    const variants = {
      plain: v('plain Nest-Fastify handler', plain),
      validation: v('+ validation', bare, '/bench/validated'),
      noop: v('+ a no-op interceptor', bare, '/bench/noop'),
      interceptor: v('+ PredictionLogger', bare),
      logging: v('+ logging', logged),
      metrics: v('+ metrics', metered),
      full: v('+ headers: the service', full),
      unlogged: v('the service, logging off', unlogged),
      batch: v('the service, batches of 100', full, '/predict', batch100),
      workers: v('the service, WORKERS=2', twoWorkers),
      workersBatch: v('the service, WORKERS=2, batches of 100', twoWorkers, '/predict', batch100),
    };
    type Name = keyof typeof variants;
    // BENCH_VARIANTS=interceptor,logging measures only those (for a quick comparison).
    const only = process.env.BENCH_VARIANTS?.split(',');
    const names = (Object.keys(variants) as Name[]).filter((n) => !only || only.includes(n));
    const samples = Object.fromEntries(names.map((name) => [name, [] as Sample[]])) as Record<
      Name,
      Sample[]
    >;
    for (let round = 1; round <= ROUNDS; round++) {
      process.stderr.write(`Round ${round} of ${ROUNDS} (${names.length} variants)…\n`);
      for (const name of names) {
        if (round === 1) await load(variants[name], WARMUP_S);
        const sample = await load(variants[name], DURATION_S);
        samples[name].push(sample);
        process.stderr.write(
          `  ${variants[name].label}: ${fmt(sample.requestsPerSecond)} req/s, p99 ${sample.latencyP99Ms} ms\n`,
        );
      }
    }
    if (only) return;
    const f = Object.fromEntries(
      names.map((name) => [name, summarise(variants[name], samples[name])]),
    ) as Record<Name, Figures>;

    const goals = [
      {
        goal: 'the service ≥ 80% of the plain handler',
        measured: pct(f.full.requestsPerSecond / f.plain.requestsPerSecond),
        met: f.full.requestsPerSecond >= 0.8 * f.plain.requestsPerSecond,
      },
      {
        goal: 'the service: p99 < 25 ms, nothing failed',
        measured: `p99 ${f.full.latencyP99Ms} ms, ${f.full.failed} failed`,
        met: f.full.latencyP99Ms < 25 && f.full.failed === 0,
      },
      {
        goal: 'logging costs ≤ 5% (logging on ≥ 0.95 × off)',
        measured: pct(f.full.requestsPerSecond / f.unlogged.requestsPerSecond),
        met: f.full.requestsPerSecond >= 0.95 * f.unlogged.requestsPerSecond,
      },
      {
        goal: 'batches of 100 ≥ 150,000 predictions/s, p99 < 100 ms',
        measured: `${fmt(f.batch.predictionsPerSecond)}/s, p99 ${f.batch.latencyP99Ms} ms`,
        met: f.batch.predictionsPerSecond >= 150_000 && f.batch.latencyP99Ms < 100,
      },
    ];
    const out = [
      `POST /predict, autocannon -c ${CONNECTIONS}, ${WARMUP_S} s warm-up, then ${ROUNDS} rounds of ${DURATION_S} s per variant.`,
      `Medians over the rounds; req/s is the median of per-second rates. ${cpus().length} cores, Node ${process.version}; the load generator shares the cores.`,
      '',
      'Each layer added in turn:',
      '',
      table([
        { label: 'plain Nest-Fastify handler', figures: f.plain },
        {
          label: '+ validation (pipe, request id, error filter)',
          figures: f.validation,
          against: f.plain,
        },
        {
          label: "+ a no-op interceptor (Nest's interceptor pipeline)",
          figures: f.noop,
          against: f.validation,
        },
        {
          label: '+ PredictionLogger instead (log off)',
          figures: f.interceptor,
          against: f.noop,
        },
        { label: '+ prediction log', figures: f.logging, against: f.interceptor },
        { label: '+ metrics hook', figures: f.metrics, against: f.logging },
        { label: '+ security headers: the service', figures: f.full, against: f.metrics },
      ]),
      '',
      'The service:',
      '',
      table([
        { label: 'single, logging off', figures: f.unlogged },
        { label: 'single, logging on', figures: f.full, against: f.unlogged },
        { label: 'batches of 100', figures: f.batch },
      ]),
      '',
      'Workers (node:cluster, one port; the load generator shares the same cores):',
      '',
      table([
        { label: 'single, WORKERS=1', figures: f.full },
        { label: 'single, WORKERS=2', figures: f.workers, against: f.full },
        { label: 'batches of 100, WORKERS=1', figures: f.batch },
        { label: 'batches of 100, WORKERS=2', figures: f.workersBatch, against: f.batch },
      ]),
      '',
      'Goals:',
      '',
      ...goals.map((g) => `- ${g.met ? 'met    ' : 'NOT MET'}  ${g.goal}: ${g.measured}`),
      '',
      `${goals.filter((g) => g.met).length} of ${goals.length} goals met.`,
    ];
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    // The first process owns the embedded database: it stops last.
    for (const child of children.slice(1).reverse()) await stop(child);
    if (children[0]) await stop(children[0]);
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
