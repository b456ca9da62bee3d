import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, chown, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Client } from 'pg';
import { postgresBinaries } from './embedded-postgres.binaries';
import { EmbeddedPostgresLocation, embeddedPostgresLocation } from './embedded-postgres.location';
import { PostgresProcess, RunAs } from './postgres-process';

export const EMBEDDED_DATABASE = 'mle';
const SUPERUSER = 'postgres';
// template0, template1 and postgres: what initdb creates before any database of ours.
const DATABASES_OF_A_BARE_CLUSTER = 3;

export interface EmbeddedPostgresOptions {
  /** Folder that holds the cluster (`pgdata/`) and its generated password. */
  dir: string;
  port: number;
  /** PostgreSQL's own output. */
  onLog?: (line: string) => void;
  /** What the server decided and the operator should know: where the data lives, a re-initialisation. */
  onNotice?: (line: string) => void;
  /** Root only: where what the `postgres` user must reach goes when the project is closed to it. */
  home?: string;
  /** The PostgreSQL build (bin/, lib/, share/); by default the one `embedded-postgres` installs. */
  native?: string;
}

/** The connection URL of the embedded cluster in `dir`, or undefined before its first start. */
export function embeddedDatabaseUrl(dir: string, port: number, home?: string): string | undefined {
  const location = embeddedPostgresLocation(dir, home);
  if (existsSync(location.initialising) || !existsSync(location.password)) return undefined;
  // Read synchronously: options are built once per process, before any connection.
  return urlOf(readFileSync(location.password, 'utf8').trim(), port, EMBEDDED_DATABASE);
}

function urlOf(password: string, port: number, database: string): string {
  return `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
}

/**
 * A real PostgreSQL run from the binaries of the `embedded-postgres` package (a devDependency).
 * Data persists between runs; the password is generated at first start and kept beside the data
 * with owner-only permissions, so none lives in source and none is written anywhere else.
 * Started as root, PostgreSQL runs as the `postgres` user, and what it must reach is placed
 * where it can (see `embeddedPostgresLocation`, `postgresBinaries`).
 */
export class EmbeddedPostgresServer {
  private constructor(
    private readonly process: PostgresProcess,
    readonly url: string,
    /** The folder that holds the cluster and its password. */
    readonly dataDir: string,
  ) {}

  static async start(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresServer> {
    const onLog = options.onLog ?? (() => undefined);
    const onNotice = options.onNotice ?? (() => undefined);
    const location = embeddedPostgresLocation(options.dir, options.home);
    await assertPortFree(options.port);
    await prepareRoot(location);
    if (location.movedBecause) {
      onNotice(
        `Running as root and ${location.movedBecause}: the embedded cluster for ` +
          `${location.requested} lives in ${location.root}`,
      );
    }
    const binaries = await postgresBinaries(options.native, options.home);
    if (binaries.copiedTo) {
      onNotice(
        `Running as root and the postgres user cannot reach node_modules: using the ` +
          `PostgreSQL binaries copied to ${binaries.copiedTo}`,
      );
    }
    const runAs = await PostgresProcess.runAs();

    const state = await clusterState(location);
    if (state.halfInitialised) {
      onNotice(
        `The embedded cluster in ${location.root} is half-initialised (${state.halfInitialised}): ` +
          'it holds no data yet, initialising it again',
      );
      await rm(location.data, { recursive: true, force: true });
      await rm(location.password, { force: true });
    }
    const password = state.ready
      ? (await readFile(location.password, 'utf8')).trim()
      : await initialise(location, binaries.initdb, runAs, onLog);

    let server: PostgresProcess;
    try {
      server = await PostgresProcess.start(
        binaries.postgres,
        [
          ...['-D', location.data, '-p', String(options.port)],
          // Loopback only: the embedded server is for this machine's development and tests.
          ...['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
        ],
        { cwd: location.root, runAs, onLog },
      );
    } catch (error) {
      throw new Error(
        `the embedded PostgreSQL in ${location.data} did not start on port ${options.port}: ` +
          `${(error as Error).message}. Another server may hold the port (set EMBEDDED_PG_PORT), ` +
          `or a crashed run left ${join(location.data, 'postmaster.pid')} behind (remove it if ` +
          'no postgres process runs).',
      );
    }
    try {
      await ensureDatabase(urlOf(password, options.port, 'postgres'), EMBEDDED_DATABASE);
      await rm(location.initialising, { force: true });
    } catch (error) {
      await server.stop();
      throw new Error(
        `the embedded PostgreSQL in ${location.data} started but the database ` +
          `"${EMBEDDED_DATABASE}" could not be created: ${(error as Error).message}`,
      );
    }
    return new EmbeddedPostgresServer(
      server,
      urlOf(password, options.port, EMBEDDED_DATABASE),
      location.root,
    );
  }

  async stop(): Promise<void> {
    await this.process.stop();
  }

  /**
   * Whether the embedded cluster in `dir` is already running on `port` (another process of ours
   * started it): then its URL answers and can be shared rather than started twice.
   */
  static async isRunning(dir: string, port: number): Promise<boolean> {
    const url = embeddedDatabaseUrl(dir, port);
    if (!url) return false;
    const client = new Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
    try {
      await client.connect();
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

/** The cluster's folder, open for the `postgres` user to pass through and to nobody to list. */
async function prepareRoot({ requested, root }: EmbeddedPostgresLocation): Promise<void> {
  try {
    // The folder asked for must be one even when the cluster lives elsewhere (root's case).
    for (const folder of new Set([requested, root])) {
      await mkdir(folder, { recursive: true });
      if (!(await stat(folder)).isDirectory()) {
        throw Object.assign(new Error(), { code: 'ENOTDIR' });
      }
    }
    await chmod(root, 0o711);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'EEXIST' || code === 'ENOTDIR'
        ? 'it (or a folder above it) is not a folder'
        : `${code ?? (error as Error).message}`;
    throw new Error(
      `the embedded PostgreSQL could not use ${requested}: ${reason}. Set EMBEDDED_PG_DIR to a ` +
        'folder this user can create and write (default .data/postgres), or set DATABASE_URL.',
    );
  }
}

/**
 * Ready: initdb finished and the password was kept. Half-initialised: a first start stopped
 * before its end, so the folder holds no data yet and is initialised again.
 */
async function clusterState(
  location: EmbeddedPostgresLocation,
): Promise<{ ready: boolean; halfInitialised?: string }> {
  if (existsSync(location.initialising)) {
    return { ready: false, halfInitialised: 'an earlier first start was stopped before its end' };
  }
  const initialised = existsSync(join(location.data, 'PG_VERSION'));
  const hasPassword = existsSync(location.password);
  if (initialised && hasPassword) return { ready: true };
  if (!initialised) {
    const files = await readdir(location.data).catch(() => []);
    return files.length || hasPassword
      ? { ready: false, halfInitialised: 'initdb did not finish: no PG_VERSION' }
      : { ready: false };
  }
  // A cluster without its password: left by a first start stopped between initdb and writing
  // the password (earlier versions wrote it last) holds only initdb's own databases.
  const databases = await readdir(join(location.data, 'base')).catch(() => []);
  if (databases.length <= DATABASES_OF_A_BARE_CLUSTER) {
    return { ready: false, halfInitialised: 'its password file was never written' };
  }
  throw new Error(
    `the embedded cluster in ${location.data} holds data but its password file ` +
      `${location.password} is missing. Restore that file, or delete ${location.root} to start ` +
      'again with an empty database.',
  );
}

/**
 * initdb with a generated superuser password. initdb reads it from a file inside the cluster's
 * folder (owner-only, the `postgres` user's while initdb runs), so it is never written to /tmp
 * or readable by anyone else; the `initialising` marker says "unfinished" until the first start
 * has created the database.
 */
async function initialise(
  location: EmbeddedPostgresLocation,
  initdb: string,
  runAs: RunAs | undefined,
  onLog: (line: string) => void,
): Promise<string> {
  const password = randomBytes(24).toString('base64url');
  await writeFile(location.initialising, '', { mode: 0o600 });
  await writeFile(location.password, `${password}\n`, { mode: 0o600 });
  await mkdir(location.data, { mode: 0o700 });
  if (runAs) {
    await chown(location.password, runAs.uid, runAs.gid);
    await chown(location.data, runAs.uid, runAs.gid);
  }
  try {
    await PostgresProcess.initdb(
      initdb,
      [
        `--pgdata=${location.data}`,
        '--auth=scram-sha-256',
        `--username=${SUPERUSER}`,
        `--pwfile=${location.password}`,
        '--lc-messages=C',
      ],
      { cwd: location.root, runAs, onLog },
    );
  } catch (error) {
    throw new Error(
      `the embedded PostgreSQL could not initialise ${location.data}: ${(error as Error).message}. ` +
        `Delete ${location.root} and start again, or set DATABASE_URL.`,
    );
  }
  if (runAs) await chown(location.password, process.getuid?.() ?? 0, process.getgid?.() ?? 0);
  return password;
}

/** Fails fast, before initdb, when another server already listens on the port. */
async function assertPortFree(port: number): Promise<void> {
  await new Promise<void>((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new Error(
          `port ${port} for the embedded PostgreSQL is in use (${error.code ?? error.message}). ` +
            'Stop the other server (an earlier `npm start`?) or set EMBEDDED_PG_PORT to a free port.',
        ),
      ),
    );
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolvePort()));
  });
}

/** Creates the database unless it exists (a first start may have stopped just before it). */
async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
}
