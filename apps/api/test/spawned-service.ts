import { ChildProcess, spawn } from 'node:child_process';
import { cp, mkdtemp, readdir } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../../../bench/free-port';
import { testDatabaseUrl } from '../../../test/test-database';
import { until } from './sigterm-load';
import { EXAMPLE_FEATURES as features, modelDirWithModels, modelName } from './test-app';

const OPS = 'test-ops-token-0123456789';

export interface Answer {
  status: number;
  body: string;
}

/**
 * One request on a connection of its own (`agent: false`): the primary hands each new
 * connection to the next worker, so a run of them reaches every worker.
 */
export function call(
  port: number,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return new Promise((done, fail) => {
    const req = httpRequest(
      {
        agent: false,
        port,
        host: '127.0.0.1',
        method,
        path,
        headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => done({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', fail);
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

/** The values of a metric in a Prometheus text, one per label set. */
export function metric(text: string, name: string): number[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .map((line) => Number(line.slice(line.lastIndexOf(' ') + 1)));
}

/**
 * The compiled service spawned as in production (WORKERS=2 unless told otherwise); its JSON log
 * lines are read.
 */
export class SpawnedService {
  readonly exited: Promise<number | null>;
  private output = '';
  private readonly messages: string[] = [];

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    readonly logDir: string,
    readonly modelDir: string,
  ) {
    this.exited = new Promise((done) => child.on('exit', (code) => done(code)));
    child.stdout?.on('data', (chunk: Buffer) => this.keep(chunk));
    child.stderr?.on('data', (chunk: Buffer) => this.keep(chunk));
  }

  static async start(
    databaseUrl = testDatabaseUrl(),
    {
      workers = 2,
      modelDir,
      env = {},
    }: { workers?: number; modelDir?: string; env?: Record<string, string> } = {},
  ): Promise<SpawnedService> {
    const logDir = await mkdtemp(join(tmpdir(), 'mle-workers-logs-'));
    modelDir ??= await modelDirWithModels();
    const port = await freePort();
    const child = spawn(process.execPath, [resolve('dist/apps/api/src/main.js')], {
      env: {
        ...process.env,
        // JSON log lines: the primary says when each worker listens, and their pids.
        NODE_ENV: 'production',
        WORKERS: String(workers),
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: databaseUrl,
        MODEL_DIR: modelDir,
        LOG_DIR: logDir,
        OPS_TOKEN: OPS,
        EVALUATION_CRON: 'off',
        // On the suite's shared database unless a spec gives its own and an interval.
        INGEST_INTERVAL: '0',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const service = new SpawnedService(child, port, logDir, modelDir);
    await service.logged(
      workers > 1 ? /^Workers +\d+ workers behind the one port/ : /^Predictions +logged/,
      60_000,
    );
    return service;
  }

  /** What the service printed, for a failing test. */
  get text(): string {
    return this.output;
  }

  /** The messages of its log lines so far, in order. */
  get logLines(): readonly string[] {
    return this.messages;
  }

  /** The pids of the workers that said they listen, in order. */
  get listening(): number[] {
    return this.messages.flatMap((m) => /^Worker (\d+) listening$/.exec(m)?.[1] ?? []).map(Number);
  }

  /** Resolves with the first log message (now or later) that matches. */
  logged(pattern: RegExp, ms = 30_000): Promise<string> {
    return until(
      `a log line ${pattern} (output so far:\n${this.output.slice(-3000)})`,
      async () => {
        if (this.child.exitCode !== null) throw new Error(`the service exited:\n${this.output}`);
        return this.messages.find((m) => pattern.test(m));
      },
      ms,
    );
  }

  predict(id: number): Promise<Answer> {
    return call(this.port, 'POST', '/predict', { id, features }, { 'x-request-id': `w-${id}` });
  }

  async stop(): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
    return this.exited;
  }

  private keep(chunk: Buffer): void {
    const text = chunk.toString();
    this.output += text;
    globalThis.testLogLines?.push(...text.split('\n').filter(Boolean));
    for (const line of text.split('\n')) {
      try {
        const { message } = JSON.parse(line) as { message?: unknown };
        if (typeof message === 'string') this.messages.push(message);
      } catch {
        // Not a log line (the one-line failure message on stderr).
      }
    }
  }
}

/** The version a spawned service answers a prediction with. */
export async function answeredBy(service: SpawnedService): Promise<string> {
  const { status, body } = await call(service.port, 'POST', '/predict', { id: 1, features });
  expect(status).toBe(200);
  return (JSON.parse(body) as { modelVersion: string }).modelVersion;
}

/** A MODEL_DIR holding two versions of the default model, `current` naming the first. */
export async function modelDirWithTwoVersions(): Promise<{
  modelDir: string;
  first: string;
  second: string;
}> {
  const model = modelName();
  const modelDir = await modelDirWithModels();
  const other = await modelDirWithModels();
  const versionIn = async (dir: string) =>
    (await readdir(join(dir, model))).filter((n) => n !== 'current')[0];
  const [first, second] = [await versionIn(modelDir), await versionIn(other)];
  await cp(join(other, model, second), join(modelDir, model, second), { recursive: true });
  return { modelDir, first, second };
}
