import { Agent, request as httpRequest } from 'node:http';
import { Client } from 'pg';
import {
  createScratchDatabase,
  dropScratchDatabase,
  migrateTestDatabase,
} from '../../../test/test-database';
import { emptyDir } from './retraining-fixtures';
import { until } from './sigterm-load';
import { answeredBy, call, modelDirWithTwoVersions, SpawnedService } from './spawned-service';
import { EXAMPLE_FEATURES as features, modelName } from './test-app';

const OPS = { authorization: 'Bearer test-ops-token-0123456789' };
const MODEL = modelName();
const INGEST_INTERVAL_S = 2;
const LOAD_MS = 20_000;

interface Load {
  /** Request ids answered 200, by the replica that answered. */
  answered: Map<string, number>;
  /** Requests refused or cut off (a replica shutting down). */
  failed: number;
}

/**
 * Clients post single predictions round-robin across the replicas still in `alive` for `ms`,
 * each request with a request id of its own; `atHalfTime` is called once half the time is over.
 */
async function spreadLoad(
  alive: SpawnedService[],
  ms: number,
  atHalfTime: () => void,
  clients = 12,
): Promise<Load> {
  const agents = new Map(alive.map((s) => [s.port, new Agent({ keepAlive: true })]));
  const load: Load = { answered: new Map(), failed: 0 };
  const started = Date.now();
  let halfTime = false;
  let next = 0;
  const send = (service: SpawnedService, n: number) =>
    new Promise<void>((done) => {
      const requestId = `scale-${n}`;
      const req = httpRequest(
        {
          agent: agents.get(service.port),
          port: service.port,
          host: '127.0.0.1',
          method: 'POST',
          path: '/predict',
          headers: { 'content-type': 'application/json', 'x-request-id': requestId },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode === 200) load.answered.set(requestId, service.port);
            else load.failed += 1;
            done();
          });
        },
      );
      req.on('error', () => {
        load.failed += 1;
        done();
      });
      req.end(JSON.stringify({ id: n, features }));
    });
  const client = async () => {
    while (Date.now() - started < ms) {
      if (!halfTime && Date.now() - started >= ms / 2) {
        halfTime = true;
        atHalfTime();
      }
      const n = next++;
      await send(alive[n % alive.length], n);
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  for (const agent of agents.values()) agent.destroy();
  return load;
}

// Three service processes on one machine, each with its own log folder and its own MODEL_DIR
// cache, sharing only PostgreSQL: the champion reaches every one, a promotion through one is
// served by all within 5 s, every answered prediction is stored exactly once within two
// INGEST_INTERVALs (also those of the one stopped by SIGTERM under load), and each scheduled
// evaluation runs once.
describe('Three replicas sharing only PostgreSQL (e2e)', () => {
  const database = `scale_out_${process.pid}`;
  const replicas: SpawnedService[] = [];
  let url: string;
  let first: string;
  let second: string;

  beforeAll(async () => {
    url = await createScratchDatabase(database);
    await migrateTestDatabase(url);
    // The first replica's folder holds two versions, `current` naming the first; the others
    // start empty and fetch what they serve from the database.
    const versions = await modelDirWithTwoVersions();
    ({ first, second } = versions);
    const { modelDir } = versions;
    const env = {
      INGEST_INTERVAL: String(INGEST_INTERVAL_S),
      // "Nightly" every 5 s: each scheduled time must run once across the three.
      EVALUATION_CRON: '*/5 * * * * *',
    };
    replicas.push(await SpawnedService.start(url, { workers: 1, modelDir, env }));
    for (let i = 0; i < 2; i++) {
      const cache = await emptyDir('mle-scale-cache-');
      replicas.push(await SpawnedService.start(url, { workers: 1, modelDir: cache, env }));
    }
  }, 180_000);

  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await dropScratchDatabase(database);
  });

  it('should serve the champion on all three, and a promotion through one on all within 5 s', async () => {
    expect(await Promise.all(replicas.map(answeredBy))).toEqual([first, first, first]);

    const promotion = await call(
      replicas[2].port,
      'POST',
      `/models/${MODEL}/promote`,
      { version: second, reason: 'scale-out test' },
      OPS,
    );
    expect(promotion.status).toBe(200);

    const started = Date.now();
    await until(
      `every replica to answer with ${second}`,
      async () => {
        const versions = await Promise.all(replicas.map(answeredBy));
        return versions.every((v) => v === second) ? true : undefined;
      },
      5_000,
    );
    process.stdout.write(`promotion served by all three in ${Date.now() - started} ms\n`);
  });

  it('should store every prediction answered under 20 s of load exactly once within two INGEST_INTERVALs, a SIGTERM included, and run each scheduled evaluation once', async () => {
    const [a, b, c] = replicas;
    const alive = [a, b, c];
    let cExit: Promise<number | null> | undefined;

    const load = await spreadLoad(alive, LOAD_MS, () => {
      cExit = c.stop();
      // The next requests go to the two left; those in flight to the third are answered or
      // refused by its drain.
      alive.splice(alive.indexOf(c), 1);
    });
    const loadEnded = Date.now();
    expect(await cExit).toBe(0);

    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      const stored = async () =>
        // The answers, not the previous champion's shadow scores of the same requests.
        (
          await client.query<{ request_id: string; n: number }>(
            `SELECT request_id, count(*)::int AS n FROM predictions
              WHERE request_id LIKE 'scale-%' AND NOT shadow GROUP BY request_id`,
          )
        ).rows;
      const rows = await until(
        `${load.answered.size} answered predictions in the database`,
        async () => {
          const found = await stored();
          return found.length >= load.answered.size ? found : undefined;
        },
        2 * INGEST_INTERVAL_S * 1000,
      );
      const within = Date.now() - loadEnded;
      expect(rows.map((r) => r.request_id).sort()).toEqual([...load.answered.keys()].sort());
      expect(rows.filter((r) => r.n !== 1)).toEqual([]);
      const byReplica = replicas.map(
        (r) => [...load.answered.values()].filter((port) => port === r.port).length,
      );
      expect(byReplica.every((n) => n > 0)).toBe(true);

      // A scheduled run may be under way: count the slots up to a moment none was, less a
      // second (a slot's run has started by then), so that each counted slot's runs are over.
      const settled = await until('no scheduled run under way', async () => {
        const { rows: running } = await client.query(
          `SELECT 1 FROM job_runs WHERE status = 'running'`,
        );
        return running.length === 0 ? new Date(Date.now() - 1_000) : undefined;
      });
      const runs = await client.query<{ scheduled_for: Date; n: number; ok: number }>(
        `SELECT scheduled_for, count(*)::int AS n,
                count(*) FILTER (WHERE status = 'succeeded')::int AS ok
           FROM job_runs WHERE trigger = 'schedule' AND scheduled_for <= $1
          GROUP BY scheduled_for ORDER BY 1`,
        [settled],
      );
      expect(runs.rows.length).toBeGreaterThanOrEqual(3);
      expect(runs.rows.filter((r) => r.n !== 1 || r.ok !== 1)).toEqual([]);
      process.stdout.write(
        `scale-out: ${load.answered.size} answered (${byReplica.join(' + ')}), ${load.failed} refused during the SIGTERM, ` +
          `all stored once ${within} ms after the load; ${runs.rows.length} scheduled evaluations, each run once\n`,
      );
    } finally {
      await client.end();
    }
  }, 120_000);
});
