import { ChildProcess, spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { freePort } from '../../../bench/free-port';
import { runCli } from '../../../test/cli';
import {
  createScratchDatabase,
  dropScratchDatabase,
  migrateTestDatabase,
} from '../../../test/test-database';
import { MIGRATION_LOCK_KEY } from '../src/database/migrations';
import { migrationsOf } from '../src/database/data-source.options';
import { SERVED_MODELS } from '../src/served-models';
import { modelDirWithModels } from './test-app';

interface Replica {
  child: ChildProcess;
  port: number;
  stdout: string;
  stderr: string;
  exited: Promise<number | null>;
}

async function startReplica(databaseUrl: string, env: Record<string, string> = {}) {
  const port = await freePort();
  const replica: Replica = {
    port,
    stdout: '',
    stderr: '',
    child: spawn(process.execPath, [resolve('dist/apps/api/src/main.js')], {
      env: {
        ...process.env,
        // JSON application logs at info level: the test reads which replica applied what.
        NODE_ENV: 'production',
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: databaseUrl,
        MODEL_DIR: await modelDirWithModels(),
        LOG_DIR: await mkdtemp(join(tmpdir(), 'mle-replica-logs-')),
        EVALUATION_CRON: 'off',
        // The replicas leave the suite's analyst role alone.
        ANALYST_PASSWORD: '',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
    exited: Promise.resolve(null),
  };
  replica.child.stdout?.on('data', (chunk: Buffer) => (replica.stdout += chunk.toString()));
  replica.child.stderr?.on('data', (chunk: Buffer) => (replica.stderr += chunk.toString()));
  replica.exited = new Promise((done) => replica.child.on('exit', (code) => done(code)));
  return replica;
}

/** Resolves when the replica answers ready, or with its exit code if it stops first. */
async function readiness(replica: Replica): Promise<'ready' | number | null> {
  let exited: number | null | undefined;
  void replica.exited.then((code) => (exited = code));
  for (let i = 0; i < 600; i++) {
    if (exited !== undefined) return exited;
    const ok = await fetch(`http://127.0.0.1:${replica.port}/health/ready`).then(
      async (r) => (await r.text(), r.ok),
      () => false,
    );
    if (ok) return 'ready';
    await new Promise((done) => setTimeout(done, 50));
  }
  throw new Error(`replica on port ${replica.port} neither became ready nor stopped`);
}

async function stop(replica: Replica): Promise<number | null> {
  if (replica.child.exitCode === null && replica.child.signalCode === null) {
    replica.child.kill('SIGTERM');
  }
  return replica.exited;
}

async function appliedMigrations(url: string): Promise<string[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(
      `SELECT name FROM migrations ORDER BY id`,
    );
    return rows.map((r) => r.name);
  } finally {
    await client.end();
  }
}

// The kit's and the served plug-ins' migrations, in the order TypeORM applies them.
const MIGRATIONS = migrationsOf(SERVED_MODELS)
  .map((migration) => ({ migration, name: new migration().name ?? migration.name }))
  .sort((a, b) => Number(/\d+$/.exec(a.name)?.[0]) - Number(/\d+$/.exec(b.name)?.[0]));
const names = MIGRATIONS.map(({ name }) => name);
const last = names[names.length - 1];

describe('migrations at start-up', () => {
  const database = `migrate_on_start_${process.pid}`;
  let url: string;
  const replicas: Replica[] = [];

  beforeEach(async () => {
    url = await createScratchDatabase(database);
    // An external database one release behind: every migration but the newest.
    await migrateTestDatabase(url, {
      migrations: MIGRATIONS.slice(0, -1).map(({ migration }) => migration),
    });
  });

  afterEach(async () => {
    await Promise.all(replicas.splice(0).map(stop));
    await dropScratchDatabase(database);
  });

  it('should apply a pending migration exactly once when two replicas start at once', async () => {
    expect(await appliedMigrations(url)).not.toContain(last);

    replicas.push(...(await Promise.all([startReplica(url), startReplica(url)])));
    const states = await Promise.all(replicas.map(readiness));

    expect({ states, stderr: replicas.map((r) => r.stderr) }).toEqual({
      states: ['ready', 'ready'],
      stderr: ['', ''],
    });
    expect(await appliedMigrations(url)).toEqual(names);
    // One replica applied it; the other waited for the lock and found nothing to do.
    const applying = replicas.filter((r) => r.stdout.includes(`Applied migrations: ${last}`));
    expect(applying).toHaveLength(1);
    expect(await Promise.all(replicas.map(stop))).toEqual([0, 0]);

    // The compose `migrate` job that runs afterwards has nothing left to do.
    const job = await runCli('migrate', ['run'], { DATABASE_URL: url, ANALYST_PASSWORD: '' });
    expect(job).toMatchObject({ code: 0, stderr: '' });
    expect(job.stdout).toContain('No pending migrations');
  });

  it('should refuse to start with pending migrations when MIGRATE_ON_START=false', async () => {
    const replica = await startReplica(url, { MIGRATE_ON_START: 'false' });
    replicas.push(replica);

    expect(await readiness(replica)).toBe(1);
    expect(replica.stderr).toMatch(/pending migrations/);
    expect(await appliedMigrations(url)).not.toContain(last);
  });

  it('should make the migrate command wait for the lock a starting replica holds', async () => {
    const holder = new Client({ connectionString: url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      let finished = false;
      const job = runCli('migrate', ['run'], { DATABASE_URL: url, ANALYST_PASSWORD: '' }).then(
        (result) => ((finished = true), result),
      );
      await new Promise((done) => setTimeout(done, 1500));
      expect(finished).toBe(false);
      expect(await appliedMigrations(url)).not.toContain(last);

      await holder.query('COMMIT');
      const result = await job;
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(result.stdout).toContain(last);
      expect(await appliedMigrations(url)).toEqual(names);
    } finally {
      await holder.end();
    }
  });
});
