import { ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { AddressInfo, createServer } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import request from 'supertest';
import { testDatabaseUrl } from '../../../test/test-database';
import { createTestApp, modelDirWithModels } from './test-app';
import { EXAMPLE_FEATURES as features } from './test-app';
import { predictThroughSigterm } from './sigterm-load';

interface LoggedLine {
  requestId: string;
  inputId: string;
  probability: number;
  modelVersion: string;
}

/** Every line of every prediction log file in `dir` (gzipped ones too), and the file names. */
async function readLogs(dir: string): Promise<{ files: string[]; lines: string[] }> {
  const files = (await readdir(dir)).filter((f) => f.startsWith('predictions-')).sort();
  const lines: string[] = [];
  for (const file of files) {
    const raw = await readFile(join(dir, file));
    const text = file.endsWith('.gz') ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
    lines.push(...text.split('\n').filter((line) => line !== ''));
  }
  return { files, lines };
}

async function freePort(): Promise<number> {
  return new Promise((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => done(port));
    });
  });
}

describe('Prediction log (e2e)', () => {
  it('should rotate at the size limit, gzip rotated files and keep every line whole', async () => {
    const test = await createTestApp({ LOG_MAX_SIZE: '2k' });
    const server = test.app.getHttpServer();
    const requestIds: string[] = [];
    for (let i = 0; i < 120; i++) {
      const instances = Array.from({ length: 1 + (i % 3) }, (_, j) => ({
        id: i * 10 + j,
        features,
      }));
      const response = await request(server).post('/predict').send({ instances }).expect(200);
      requestIds.push(...instances.map(() => response.headers['x-request-id']));
    }
    await test.app.close();

    const { files, lines } = await readLogs(test.logDir);
    const parsed = lines.map((line) => JSON.parse(line) as LoggedLine);
    expect(parsed.map((l) => l.requestId).sort()).toEqual([...requestIds].sort());
    expect(files.filter((f) => f.endsWith('.jsonl.gz')).length).toBeGreaterThan(10);
    expect(files.filter((f) => !f.endsWith('.gz'))).toHaveLength(1);
    expect(files.every((f) => f.startsWith(`predictions-${hostname()}-${process.pid}-`))).toBe(
      true,
    );
    expect((await readdir(test.logDir)).filter((f) => f.includes('partial'))).toEqual([]);
  });

  it('should keep answering when the log folder cannot be created', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'mle-notdir-'));
    const notADirectory = join(parent, 'file');
    await writeFile(notADirectory, 'a file where the log folder should be');
    const test = await createTestApp({ LOG_DIR: join(notADirectory, 'logs') });
    try {
      const server = test.app.getHttpServer();
      await request(server).post('/predict').send({ id: 1, features }).expect(200);
      await new Promise((done) => setTimeout(done, 20));
      const ready = await request(server).get('/health/ready').expect(200);
      expect(ready.body.checks.predictionLog).toBe('degraded');
    } finally {
      await test.app.close();
    }
  });

  describe('on SIGTERM', () => {
    let child: ChildProcess;
    let logDir: string;
    let port: number;

    beforeAll(async () => {
      logDir = await mkdtemp(join(tmpdir(), 'mle-sigterm-'));
      port = await freePort();
      child = spawn(process.execPath, [resolve('dist/apps/api/src/main.js')], {
        env: {
          ...process.env,
          NODE_ENV: 'test',
          PORT: String(port),
          HOST: '127.0.0.1',
          DATABASE_URL: testDatabaseUrl(),
          MODEL_DIR: await modelDirWithModels(),
          LOG_DIR: logDir,
          // The lines stay in the folder: the suite's shared database gets none of them.
          INGEST_INTERVAL: '0',
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      for (let i = 0; i < 200; i++) {
        const ok = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) return;
        await new Promise((done) => setTimeout(done, 50));
      }
      throw new Error('the service did not become ready');
    });

    it('should finish in-flight requests and leave exactly one line per answered prediction', async () => {
      const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
      // Once 200 have been answered, SIGTERM arrives while the next twenty are in flight.
      const { answered, failed } = await predictThroughSigterm(port, features, () =>
        child.kill('SIGTERM'),
      );
      expect(await exited).toBe(0);

      const { lines } = await readLogs(logDir);
      // The answers' lines (a shadow version, if one is recorded, logs its own beside them).
      const logged = lines
        .map((line) => JSON.parse(line) as LoggedLine & { shadow?: boolean })
        .filter((line) => !line.shadow);
      expect(answered.size).toBeGreaterThanOrEqual(200);
      expect(logged).toHaveLength(answered.size);
      for (const line of logged) {
        const answer = answered.get(line.requestId);
        expect(answer).toBeDefined();
        expect(line.inputId).toBe(String(answer?.id));
        expect(line.probability).toBe(answer?.probability);
      }
      expect(answered.size + failed).toBe(600);
    });
  });
});
