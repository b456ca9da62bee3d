import { PredictionLogIngester } from '@app/mle/monitoring';
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmod, chown, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DataSource } from 'typeorm';
import {
  createScratchDatabase,
  dropScratchDatabase,
  migrateTestDatabase,
  openTestDataSource,
  testDatabaseUrl,
} from '../../../test/test-database';
import { AS_OTHER_USER, OTHER_GID, OTHER_UID, projectPath } from '../../../test/other-user';
import { EXAMPLE_FEATURES as features } from './test-app';
import { modelDirWithModels } from './test-app';

const OPS_TOKEN = 'prediction-log-faults-ops-token';
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

interface LogContent {
  files: string[];
  /** Request id → how many lines hold it. */
  ids: Map<string, number>;
  /** Lines that are not a whole record. */
  broken: string[];
  /** Files whose lines are not in the order they were sent (a name written twice). */
  disordered: string[];
}

/** Every line of every prediction log file in `dir` (gzipped ones too). */
async function readLogs(dir: string): Promise<LogContent> {
  const files = (await readdir(dir)).filter((f) => f.startsWith('predictions-')).sort();
  const content: LogContent = { files, ids: new Map(), broken: [], disordered: [] };
  for (const file of files) {
    const raw = await readFile(join(dir, file));
    const text = (file.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
    let last = -1;
    for (const line of text.split('\n').slice(0, -1)) {
      let requestId: string | undefined;
      try {
        requestId = (JSON.parse(line) as { requestId?: string }).requestId;
      } catch {
        requestId = undefined;
      }
      if (typeof requestId !== 'string') {
        content.broken.push(line);
        continue;
      }
      content.ids.set(requestId, (content.ids.get(requestId) ?? 0) + 1);
      const seq = Number(requestId.split('-')[1]);
      if (seq <= last && !content.disordered.includes(file)) content.disordered.push(file);
      last = seq;
    }
    if (!text.endsWith('\n') && text !== '')
      content.broken.push(text.slice(text.lastIndexOf('\n')));
  }
  return content;
}

interface LogState {
  state: string;
  writeErrors: number;
  counted: number;
  lastError?: string;
}

async function freePort(): Promise<number> {
  return new Promise((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => done(port));
    });
  });
}

/** The compiled service, run as a normal user, with its log in `logDir`. */
class ServiceUnderFault {
  answered = 0;
  private child: ChildProcess | undefined;
  private exited!: Promise<number | null>;
  private seq = 0;

  constructor(
    private readonly port: number,
    private readonly env: Record<string, string>,
  ) {}

  async start(): Promise<void> {
    const [command, ...args] = AS_OTHER_USER;
    const child = spawn(
      command,
      [...args, process.execPath, projectPath('dist/apps/api/src/main.js')],
      {
        env: {
          ...process.env,
          NODE_ENV: 'test',
          PORT: String(this.port),
          HOST: '127.0.0.1',
          DATABASE_URL: testDatabaseUrl(),
          EVALUATION_CRON: 'off',
          // The spec ingests the folder into a database of its own, between the phases.
          INGEST_INTERVAL: '0',
          OPS_TOKEN,
          ...this.env,
        },
        stdio: ['ignore', 'ignore', 'ignore'],
      },
    );
    this.child = child;
    this.exited = new Promise((done) => child.on('exit', (code) => done(code)));
    for (let i = 0; i < 200; i++) {
      if (
        await this.get('/health/ready').then(
          (r) => r.ok,
          () => false,
        )
      )
        return;
      await sleep(50);
    }
    throw new Error('the service did not become ready');
  }

  /** Sends `count` predictions one after another over about `ms`; ids `<phase>-<seq>`. */
  async predict(phase: string, count: number, ms: number): Promise<string[]> {
    const ids: string[] = [];
    const started = Date.now();
    for (let i = 0; i < count; i++) {
      const id = `${phase}-${this.seq++}`;
      const response = await fetch(`http://127.0.0.1:${this.port}/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': id },
        body: JSON.stringify({ id: this.seq, features }),
      });
      await response.text();
      if (response.status === 200) {
        this.answered += 1;
        ids.push(id);
      }
      const due = started + ((i + 1) * ms) / count - Date.now();
      if (due > 0) await sleep(due);
    }
    return ids;
  }

  /** The log's readiness state and the write-error counter of /metrics. */
  async log(): Promise<LogState> {
    const ready = (await (
      await this.get('/health/ready', { authorization: `Bearer ${OPS_TOKEN}` })
    ).json()) as {
      checks: { predictionLog: string };
      details: { predictionLog: { writeErrors: number; lastError?: string } };
    };
    const metrics = await (await this.get('/metrics')).text();
    const counted = Number(/^mle_prediction_log_write_errors_total (\d+)/m.exec(metrics)?.[1]);
    return { state: ready.checks.predictionLog, ...ready.details.predictionLog, counted };
  }

  /**
   * Runs `work` while sampling the log's state every 100 ms, and returns the first sample that
   * was not `up`. One sample taken after the work would be a race: a generation reopened on a
   * full disk reads `up` until its first write fails.
   */
  async whileWatching(work: () => Promise<unknown>): Promise<LogState | undefined> {
    let degraded: LogState | undefined;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const log = await this.log();
        if (log.state !== 'up' && !degraded) degraded = log;
        await sleep(100);
      }
    })();
    try {
      await work();
    } finally {
      watching = false;
      await watcher;
    }
    return degraded;
  }

  /** Waits until the log is writable again and every loss is counted. */
  async recovered(): Promise<{ writeErrors: number; counted: number }> {
    for (let i = 0; i < 200; i++) {
      const log = await this.log();
      if (log.state === 'up') return log;
      await sleep(50);
    }
    throw new Error('the prediction log did not recover');
  }

  /** Stops the service (if it was started) and answers its exit code. */
  async stop(): Promise<number | null> {
    if (!this.child) return null;
    this.child.kill('SIGTERM');
    return this.exited;
  }

  private get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`http://127.0.0.1:${this.port}${path}`, { headers });
  }
}

function tryMount(dir: string, size: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir], {
      stdio: 'ignore',
    });
    return true;
  } catch {
    return false;
  }
}

describe('Prediction log under faults (e2e)', () => {
  const database = `prediction_log_faults_${process.pid}`;
  let dataSource: DataSource;
  let modelDir: string;
  let logDir: string;
  let service: ServiceUnderFault;

  const ingest = () =>
    new PredictionLogIngester(dataSource, {
      enabled: true,
      dir: logDir,
      maxSize: '100k',
      retentionDays: 30,
    }).ingest();
  const stored = async () =>
    Number((await dataSource.query<{ n: string }[]>('SELECT count(*) AS n FROM predictions'))[0].n);
  const expectAllPresent = (content: LogContent, ids: Iterable<string>) =>
    expect([...ids].filter((id) => content.ids.get(id) !== 1)).toEqual([]);

  beforeAll(async () => {
    const url = await createScratchDatabase(database);
    await migrateTestDatabase(url);
    dataSource = await openTestDataSource(url);
    modelDir = await modelDirWithModels();
    execFileSync('chown', ['-R', String(OTHER_UID), modelDir]);
  });

  afterAll(async () => {
    await dataSource.destroy();
    await dropScratchDatabase(database);
    await rm(modelDir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    await dataSource.query('TRUNCATE predictions, prediction_log_checkpoints');
    logDir = await mkdtemp(join(tmpdir(), 'mle-fault-'));
    await chmod(logDir, 0o755);
  });

  it('should lose no line silently and reuse no file name when the log folder turns read-only', async () => {
    await chown(logDir, OTHER_UID, OTHER_GID);
    service = new ServiceUnderFault(await freePort(), {
      MODEL_DIR: modelDir,
      LOG_DIR: logDir,
      LOG_MAX_SIZE: '100k',
    });
    try {
      await service.start();
      // Phase 1: a few files, rotated and gzipped, then loaded (their checkpoints completed).
      const first = await service.predict('a', 600, 1_500);
      await service.recovered();
      await ingest();
      const afterFirst = await readLogs(logDir);
      expectAllPresent(afterFirst, first);

      // Phase 2: no new file can be created; the open file fills, rotation fails, and reopening
      // fails until the folder is writable again.
      await chmod(logDir, 0o555);
      const during = await service.whileWatching(() => service.predict('b', 400, 6_000));
      await ingest();
      await chmod(logDir, 0o755);

      // Phase 3: the log reopens after its pause.
      await service.predict('c', 600, 6_000);
      const after = await service.recovered();
      await ingest();

      expect(during).toMatchObject({
        state: 'degraded',
        lastError: expect.stringMatching(/EACCES/),
      });
      expect(after.writeErrors).toBe(after.counted);
      expect(await service.stop()).toBe(0);
      const content = await readLogs(logDir);
      const summary = await ingest();
      const lines = [...content.ids.values()].reduce((a, b) => a + b, 0);

      expect(content.broken).toEqual([]);
      expect(content.disordered).toEqual([]);
      expect([...content.ids.values()].every((n) => n === 1)).toBe(true);
      expectAllPresent(content, first);
      expect(after.writeErrors).toBeGreaterThan(0);
      expect(lines + after.writeErrors).toBe(service.answered);
      expect(service.answered).toBe(1_600);
      expect([...content.ids.keys()].some((id) => id.startsWith('c-'))).toBe(true);
      expect(summary.duplicates).toBe(0);
      expect(await stored()).toBe(lines);
    } finally {
      await chmod(logDir, 0o755);
      await service.stop();
      await rm(logDir, { recursive: true, force: true });
    }
  });

  it('should lose no line silently, glue none and reuse no file name when the disk is full', async () => {
    if (!tryMount(logDir, '120k')) {
      console.warn('skipped: mounting a tmpfs is not permitted here');
      return;
    }
    await chown(logDir, OTHER_UID, OTHER_GID);
    service = new ServiceUnderFault(await freePort(), {
      MODEL_DIR: modelDir,
      LOG_DIR: logDir,
      LOG_MAX_SIZE: '100k',
    });
    try {
      await service.start();
      // Phase 1 fills the disk; phase 2 writes to a full disk (and reopens a few times).
      await service.predict('a', 1_000, 2_000);
      await ingest();
      const during = await service.whileWatching(() => service.predict('b', 1_000, 6_000));
      await ingest();
      const beforeGrowing = await readLogs(logDir);
      execFileSync('mount', ['-o', 'remount,size=8m', logDir]);

      // Phase 3: the disk has room again.
      await service.predict('c', 1_000, 6_000);
      const after = await service.recovered();
      await ingest();

      expect(during).toMatchObject({
        state: 'degraded',
        lastError: expect.stringMatching(/ENOSPC/),
      });
      expect(after.writeErrors).toBe(after.counted);
      expect(await service.stop()).toBe(0);
      const content = await readLogs(logDir);
      const summary = await ingest();
      const lines = [...content.ids.values()].reduce((a, b) => a + b, 0);

      expect(content.broken).toEqual([]);
      expect(content.disordered).toEqual([]);
      expect([...content.ids.values()].every((n) => n === 1)).toBe(true);
      expectAllPresent(content, beforeGrowing.ids.keys());
      expect(after.writeErrors).toBeGreaterThan(0);
      expect(lines + after.writeErrors).toBe(service.answered);
      expect(service.answered).toBe(3_000);
      expect([...content.ids.keys()].some((id) => id.startsWith('c-'))).toBe(true);
      expect(summary.duplicates).toBe(0);
      expect(await stored()).toBe(lines);
    } finally {
      await service.stop();
      execFileSync('umount', [logDir]);
      await rm(logDir, { recursive: true, force: true });
    }
  });
});
