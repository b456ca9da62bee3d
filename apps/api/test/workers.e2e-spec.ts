import { cp, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../../bench/free-port';
import { runService } from '../../../test/cli';
import {
  createScratchDatabase,
  dropScratchDatabase,
  migrateTestDatabase,
  testDatabaseUrl,
} from '../../../test/test-database';
import { EXAMPLE_FEATURES as features, modelDirWithModels, modelName } from './test-app';
import { predictThroughSigterm, until } from './sigterm-load';
import { call, metric, SpawnedService } from './spawned-service';

const OPS = 'test-ops-token-0123456789';
const MODEL = modelName();
// The prediction log's file names: predictions-<host>-<pid>-<generation>-<date>.jsonl.
const LOG_FILE = new RegExp(
  `^predictions-${hostname()
    .replace(/[^A-Za-z0-9_.-]/g, '_')
    .replace(/[.]/g, '\\.')}-(\\d+)-`,
);

interface LoggedLine {
  requestId: string;
  inputId: string;
  probability: number;
}

/** The prediction-log lines of `dir`, by the pid of the process that wrote them. */
async function linesByPid(dir: string): Promise<Map<number, LoggedLine[]>> {
  const byPid = new Map<number, LoggedLine[]>();
  for (const file of await readdir(dir)) {
    const pid = LOG_FILE.exec(file)?.[1];
    if (!pid) continue;
    const text = await readFile(join(dir, file), 'utf8');
    const lines = text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as LoggedLine);
    byPid.set(Number(pid), [...(byPid.get(Number(pid)) ?? []), ...lines]);
  }
  return byPid;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const total = (byPid: Map<number, LoggedLine[]>) =>
  [...byPid.values()].reduce((sum, lines) => sum + lines.length, 0);

describe('Several workers behind one port: WORKERS=2 (e2e)', () => {
  describe('serving', () => {
    // A database of its own: the evaluation below ingests this service's predictions.
    const database = `workers_${process.pid}`;
    let service: SpawnedService;

    beforeAll(async () => {
      const url = await createScratchDatabase(database);
      await migrateTestDatabase(url);
      service = await SpawnedService.start(url);
    });

    afterAll(async () => {
      await service.stop();
      await dropScratchDatabase(database);
    });

    it('should count the predictions of both workers in /metrics, without summing mle_model_info', async () => {
      const sent = 30;
      for (let id = 1; id <= sent; id++) expect((await service.predict(id)).status).toBe(200);
      const byPid = await until('every prediction logged', async () => {
        const lines = await linesByPid(service.logDir);
        return total(lines) === sent ? lines : undefined;
      });

      // However the predictions were spread, every scrape (each may reach either worker) counts all.
      expect(byPid.size).toBe(2);
      for (const lines of byPid.values()) expect(lines.length).toBeLessThan(sent);
      for (let scrape = 0; scrape < 4; scrape++) {
        const { status, body } = await call(service.port, 'GET', '/metrics');
        expect(status).toBe(200);
        expect(metric(body, 'mle_predictions_total').reduce((a, b) => a + b, 0)).toBe(sent);
        expect(metric(body, 'mle_model_info')).toEqual([1]);
      }
    });

    it('should reload the model in both workers when one of them is asked', async () => {
      const other = await modelDirWithModels();
      const version = (await readFile(join(other, MODEL, 'current'), 'utf8')).trim();
      await cp(join(other, MODEL, version), join(service.modelDir, MODEL, version), {
        recursive: true,
      });
      await writeFile(join(service.modelDir, MODEL, 'current'), `${version}\n`);

      const reload = await call(service.port, 'POST', `/models/${MODEL}/reload`, undefined, {
        authorization: `Bearer ${OPS}`,
      });

      expect(reload.status).toBe(200);
      expect(JSON.parse(reload.body)).toMatchObject({ model: MODEL, version });
      // Each request on a new connection: both workers answer, and both serve the new version.
      for (let i = 0; i < 8; i++) {
        const { status, body } = await call(service.port, 'GET', `/models/${MODEL}`);
        expect(status).toBe(200);
        expect(JSON.parse(body)).toMatchObject({ version });
      }
      const { body } = await call(service.port, 'GET', '/metrics');
      expect(body).toContain(`mle_model_info{model="${MODEL}",version="${version}"} 1`);
    });

    it('should refresh the evaluation gauges of both workers when one of them evaluates', async () => {
      const [first, second] = service.listening;
      const evaluate = () =>
        call(service.port, 'POST', '/retraining/evaluate', undefined, {
          authorization: `Bearer ${OPS}`,
        });

      const { status } = await evaluate();

      expect(status).toBe(200);
      const followed = await service.logged(
        new RegExp(
          `^Worker (${first}|${second}) followed worker (${first}|${second}) \\(evaluated\\): refreshed its evaluation gauges$`,
        ),
      );
      const [, follower, origin] = /Worker (\d+) followed worker (\d+)/.exec(followed) ?? [];
      expect(follower).not.toBe(origin);
      // One current recommendation, however many workers hold it.
      const { body } = await call(service.port, 'GET', '/metrics');
      expect(metric(body, 'mle_retraining_recommendation').sort()).toEqual([0, 0, 0, 1]);
    });

    it('should replace a worker killed with SIGKILL and keep answering', async () => {
      const [killed, survivor] = service.listening;
      process.kill(killed, 'SIGKILL');
      await service.logged(
        new RegExp(`^Worker ${killed} exited unexpectedly \\(killed by SIGKILL\\)`),
      );

      // The other worker answers alone meanwhile.
      for (let id = 101; id <= 110; id++) expect((await service.predict(id)).status).toBe(200);
      const replacement = await until('a replacement worker', async () =>
        service.listening.find((pid) => pid !== killed && pid !== survivor),
      );
      for (let id = 111; id <= 130; id++) expect((await service.predict(id)).status).toBe(200);
      const byPid = await until('the replacement logging predictions', async () => {
        const lines = await linesByPid(service.logDir);
        return lines.has(replacement) ? lines : undefined;
      });
      expect(byPid.get(replacement)?.length).toBeGreaterThan(0);
      // It loaded the version in MODEL_DIR rather than training one.
      const models = await readdir(join(service.modelDir, MODEL));
      expect(models.filter((name) => name !== 'current')).toHaveLength(2);
    });

    it('should stop the service and exit 1, saying what to do, when workers keep dying', async () => {
      const killed = new Set<number>();
      for (let round = 0; round < 12 && service.child.exitCode === null; round++) {
        const pid = await until('a worker to kill', async () => {
          if (service.child.exitCode !== null) return 0;
          return service.listening.find((p) => !killed.has(p) && alive(p));
        });
        if (!pid) break;
        killed.add(pid);
        process.kill(pid, 'SIGKILL');
        await until('the primary to see it', async () =>
          service.child.exitCode !== null || service.text.includes(`Worker ${pid} exited`)
            ? true
            : undefined,
        );
      }

      expect(await service.exited).toBe(1);
      expect(service.text).toMatch(
        /mle-service could not keep running: 5 workers exited unexpectedly within 60 s/,
      );
      expect(service.text).toMatch(/fix it and start it again/);
    });
  });

  describe('on SIGTERM', () => {
    it('should finish in-flight requests in both workers, exit 0 and leave exactly one line per answered prediction', async () => {
      const service = await SpawnedService.start();
      // Each client on its own kept-alive connection (spread over both workers); once 200 have
      // been answered, SIGTERM reaches the primary while the next twenty are in flight.
      const { answered, failed } = await predictThroughSigterm(service.port, features, () =>
        service.child.kill('SIGTERM'),
      );

      expect(await service.exited).toBe(0);
      // The primary waited for both workers to drain and exit before it stopped.
      const workers = service.listening;
      for (const pid of workers) expect(alive(pid)).toBe(false);
      expect(service.logLines.indexOf('Stopped')).toBeGreaterThan(
        Math.max(...workers.map((pid) => service.logLines.indexOf(`Worker ${pid} stopped`))),
      );
      for (const pid of workers) expect(service.logLines).toContain(`Worker ${pid} stopped`);
      const byPid = await linesByPid(service.logDir);
      expect([...byPid.keys()].sort()).toEqual([...workers].sort());
      for (const lines of byPid.values()) expect(lines.length).toBeGreaterThan(0);
      const logged = [...byPid.values()].flat();
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

  it('should stop and exit 1 with the reason when a worker cannot start', async () => {
    const taken = createServer();
    const port = await freePort();
    await new Promise<void>((done) => taken.listen(port, '127.0.0.1', done));
    try {
      const result = await runService({
        NODE_ENV: 'test',
        WORKERS: '2',
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: testDatabaseUrl(),
        MODEL_DIR: await modelDirWithModels(),
        LOG_DIR: await mkdtemp(join(tmpdir(), 'mle-workers-logs-')),
        EVALUATION_CRON: 'off',
      });

      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/mle-service could not start: .*EADDRINUSE/);
    } finally {
      taken.close();
    }
  });
});
