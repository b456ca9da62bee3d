import autocannon, { Result } from 'autocannon';
import { ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SERVED_MODELS } from '../apps/api/src/served-models';
import { freePort } from './free-port';

// npm run bench — HTTP throughput and latency of POST /predict, measured with autocannon on this
// machine (the load generator shares the cores with the service). Scenarios run one after
// another against a service this script starts and stops itself.
// An input of the default model that passes validation.
const FEATURES = SERVED_MODELS[0].demo?.examples[0] ?? {};
const CONNECTIONS = 50;
const DURATION_S = Number(process.env.BENCH_DURATION ?? 10);
const WARMUP_S = 3;

async function waitFor(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    if (child.exitCode !== null) throw new Error(`the process exited with code ${child.exitCode}`);
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`${url} did not answer within 2 minutes`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((done) => child.once('exit', done));
  child.kill('SIGTERM');
  await exited;
}

function run(url: string, body: string): Promise<Result> {
  return autocannon({
    url,
    method: 'POST',
    connections: CONNECTIONS,
    duration: DURATION_S,
    headers: { 'content-type': 'application/json' },
    body,
  });
}

interface Scenario {
  name: string;
  requestsPerSecond: number;
  predictionsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  non2xx: number;
  errors: number;
}

async function measure(name: string, url: string, body: string, batch: number): Promise<Scenario> {
  process.stderr.write(`  ${name}: warming up ${WARMUP_S} s, measuring ${DURATION_S} s…\n`);
  await autocannon({
    url,
    method: 'POST',
    connections: CONNECTIONS,
    duration: WARMUP_S,
    headers: { 'content-type': 'application/json' },
    body,
  });
  const result = await run(url, body);
  // The median of the per-second request rates: robust to a noisy second on a shared machine.
  const requestsPerSecond = result.requests.p50;
  return {
    name,
    requestsPerSecond,
    predictionsPerSecond: requestsPerSecond * batch,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'mle-bench-'));
  // The embedded server runs as the `postgres` user, which must traverse this folder.
  await chmod(work, 0o711);
  const children: ChildProcess[] = [];
  const start = async (script: string, env: Record<string, string>, ready: string) => {
    const child = spawn(process.execPath, [resolve(script)], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(child);
    await waitFor(ready, child);
    return child;
  };
  try {
    const port = await freePort();
    const base = {
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      EMBEDDED_PG_DIR: join(work, 'postgres'),
      EMBEDDED_PG_PORT: String(await freePort()),
      MODEL_DIR: join(work, 'models'),
      LOG_DIR: join(work, 'logs'),
      MAX_BATCH: '1000',
    };
    const url = `http://127.0.0.1:${port}/predict`;
    const single = JSON.stringify({ id: 1001, features: FEATURES });
    const batch100 = JSON.stringify({
      instances: Array.from({ length: 100 }, (_, i) => ({ id: i + 1, features: FEATURES })),
    });
    process.stderr.write('Starting the service (embedded PostgreSQL, demo data, trained model)…\n');
    let service = await start(
      'dist/apps/api/src/main.js',
      base,
      `http://127.0.0.1:${port}/health/ready`,
    );
    const loggingOn = await measure('single, logging on', url, single, 1);
    const batch = await measure('batch of 100, logging on', url, batch100, 100);
    await stop(service);

    service = await start(
      'dist/apps/api/src/main.js',
      { ...base, PREDICTION_LOG: 'off' },
      `http://127.0.0.1:${port}/health/ready`,
    );
    const loggingOff = await measure('single, logging off', url, single, 1);
    await stop(service);

    const plainPort = await freePort();
    process.stderr.write('Starting the plain-handler baseline…\n');
    const plain = await start(
      'dist/bench/plain-handler.server.js',
      { MODEL_DIR: base.MODEL_DIR, PORT: String(plainPort) },
      `http://127.0.0.1:${plainPort}/health`,
    );
    const plainUrl = `http://127.0.0.1:${plainPort}/predict`;
    const baseline = await measure(
      'plain handler (no validation, logging or metrics)',
      plainUrl,
      single,
      1,
    );
    await stop(plain);

    const ratio = (a: number, b: number) => Number((a / b).toFixed(3));
    const report = {
      machine: { cores: cpus().length, node: process.version },
      settings: {
        connections: CONNECTIONS,
        durationSeconds: DURATION_S,
        statistic: 'median of per-second rates',
      },
      scenarios: [loggingOn, loggingOff, batch, baseline],
      ratios: {
        loggingOnToOff: ratio(loggingOn.requestsPerSecond, loggingOff.requestsPerSecond),
        fullPipelineToPlainHandler: ratio(loggingOn.requestsPerSecond, baseline.requestsPerSecond),
      },
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await Promise.all(children.map(stop));
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
