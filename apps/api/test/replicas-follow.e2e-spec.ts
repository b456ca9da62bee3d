import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Client } from 'pg';
import {
  createScratchDatabase,
  dropScratchDatabase,
  migrateTestDatabase,
} from '../../../test/test-database';
import { emptyDir } from './retraining-fixtures';
import { until } from './sigterm-load';
import { answeredBy, call, modelDirWithTwoVersions, SpawnedService } from './spawned-service';
import { modelName } from './test-app';

const OPS = { authorization: 'Bearer test-ops-token-0123456789' };
const MODEL = modelName();
const FOLLOW_MS = 5_000;

/** Milliseconds until every replica answers with `version` (fails past FOLLOW_MS). */
async function followed(replicas: SpawnedService[], version: string): Promise<number> {
  const started = Date.now();
  await until(
    `every replica to answer with ${version}`,
    async () => {
      const versions = await Promise.all(replicas.map(answeredBy));
      return versions.every((v) => v === version) ? true : undefined;
    },
    FOLLOW_MS,
  );
  return Date.now() - started;
}

// Two service processes on one database, each with its own prediction log and MODEL_DIR: a
// promotion or a rollback through one is served by both within seconds, with no reload call, a
// version only the first had on disk included (the database stores every version).
describe('Every replica follows the champion (e2e)', () => {
  const database = `replicas_${process.pid}`;
  const replicas: SpawnedService[] = [];
  let url: string;
  let first: string;
  let second: string;

  beforeAll(async () => {
    url = await createScratchDatabase(database);
    await migrateTestDatabase(url);
    // The first replica's MODEL_DIR holds two versions, `current` naming the first; the second
    // replica's is empty: it shares no folder with the first, only the database.
    const versions = await modelDirWithTwoVersions();
    ({ first, second } = versions);
    const { modelDir } = versions;
    replicas.push(await SpawnedService.start(url, { workers: 1, modelDir }));
    replicas.push(
      await SpawnedService.start(url, { workers: 1, modelDir: await emptyDir('mle-cache-') }),
    );
  });

  it('should serve the champion on a replica with an empty MODEL_DIR, fetched from the database', async () => {
    expect(await answeredBy(replicas[1])).toBe(first);
    expect(replicas[1].logLines.join('\n')).toMatch(
      new RegExp(`named no current version: fetched the champion ${first} from the database`),
    );
    expect(replicas[1].logLines.join('\n')).not.toMatch(/training one/);
    // Nothing trained there: the one version in its cache is the champion it fetched.
    expect(await readdir(join(replicas[1].modelDir, MODEL))).toEqual(
      expect.arrayContaining([first, 'current']),
    );
    expect((await readdir(join(replicas[1].modelDir, MODEL))).length).toBe(2);
  });

  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await dropScratchDatabase(database);
  });

  it('should serve a version promoted through one replica on both within 5 s', async () => {
    expect(await Promise.all(replicas.map(answeredBy))).toEqual([first, first]);

    const promotion = await call(
      replicas[0].port,
      'POST',
      `/models/${MODEL}/promote`,
      { version: second, reason: 'replica test' },
      OPS,
    );
    expect(promotion.status).toBe(200);

    await followed(replicas, second);
    expect(replicas[0].logLines.join('\n')).not.toMatch(/Cannot serve/);
    const versions = JSON.parse(
      (await call(replicas[1].port, 'GET', `/models/${MODEL}/versions`)).body,
    ) as { versions: { version: string; role: string }[] };
    expect(versions.versions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ version: second, role: 'champion' }),
        expect.objectContaining({ version: first, role: 'shadow' }),
      ]),
    );
  });

  it('should follow a rollback by polling when the notifications are lost', async () => {
    // Cut every replica's LISTEN connection: the notification of the rollback reaches no one.
    const admin = new Client({ connectionString: url });
    await admin.connect();
    try {
      const cut = await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = current_database() AND query LIKE 'LISTEN %'`,
      );
      expect(cut.rowCount).toBe(2);
    } finally {
      await admin.end();
    }

    const rollback = await call(replicas[1].port, 'POST', `/models/${MODEL}/rollback`, {}, OPS);
    expect(rollback.status).toBe(200);

    await followed(replicas, first);
  });
});
