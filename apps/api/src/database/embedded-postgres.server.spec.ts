import { execFile, spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { nativePostgresFolder } from './embedded-postgres.binaries';
import { EmbeddedPostgresServer } from './embedded-postgres.server';

// The server runs in a plain Node process from the compiled output (built by the global setup):
// a process of its own can be killed in the middle of a first start, as a user's can.
const compiled = resolve('dist/apps/api/src/database/embedded-postgres.server.js');
const main = resolve('dist/apps/api/src/main.js');
const native = nativePostgresFolder();
const asRoot = process.getuid?.() === 0;

function script(body: string): string {
  return `
    const { EmbeddedPostgresServer, embeddedDatabaseUrl } = require(${JSON.stringify(compiled)});
    const { Client } = require('pg');
    const notices = [];
    const onNotice = (line) => notices.push(line);
    const query = async (url, sql) => {
      const c = new Client({ connectionString: url }); await c.connect();
      try { return (await c.query(sql)).rows; } finally { await c.end(); }
    };
    (async () => { ${body} })().then(
      (r) => process.stdout.write(JSON.stringify(r)),
      (e) => process.stdout.write(JSON.stringify({ error: String(e && e.message), notices })),
    );`;
}

async function inNode<T>(body: string): Promise<T> {
  const { stdout } = await promisify(execFile)('node', ['-e', script(body)], { timeout: 60_000 });
  return JSON.parse(stdout) as T;
}

/** Starts a first start in its own process group and SIGKILLs the group once initdb has spoken. */
async function killDuringFirstStart(dir: string, port: number): Promise<string> {
  const child = spawn(
    'node',
    [
      '-e',
      script(`
        await EmbeddedPostgresServer.start({ dir: ${JSON.stringify(dir)}, port: ${port},
          onLog: (line) => process.stderr.write('INITDB ' + line) });`),
    ],
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  await new Promise<void>((resolveKill, reject) => {
    const timer = setTimeout(() => reject(new Error(`initdb never spoke: ${output}`)), 30_000);
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('INITDB ')) {
        clearTimeout(timer);
        process.kill(-(child.pid ?? 0), 'SIGKILL');
        resolveKill();
      }
    });
  });
  await new Promise((resolveExit) => child.once('close', resolveExit));
  // initdb ran in the same group: give the kernel a moment to reap it before the next start.
  await new Promise((resolveWait) => setTimeout(resolveWait, 200));
  return output;
}

/** Files under `folders` (not below `skip`) that group or others may read. */
async function readableByOthers(folders: string[], skip: string[]): Promise<string[]> {
  const found: string[] = [];
  const walk = async (folder: string): Promise<void> => {
    for (const entry of await readdir(folder, { withFileTypes: true }).catch(() => [])) {
      const path = join(folder, entry.name);
      if (skip.includes(path)) continue;
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile() && ((await stat(path)).mode & 0o044) !== 0) found.push(path);
    }
  };
  for (const folder of folders) await walk(folder);
  return found;
}

describe(EmbeddedPostgresServer.name, () => {
  let dir: string;
  const port = 20000 + (process.pid % 20000);

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mle-embedded-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('should keep data and password between runs and stop cleanly when started twice', async () => {
    const result = await inNode<Record<string, unknown>>(`
      const dir = ${JSON.stringify(dir)}, port = ${port};
      const before = embeddedDatabaseUrl(dir, port);
      const first = await EmbeddedPostgresServer.start({ dir, port });
      await query(first.url, 'CREATE TABLE kept (id int); INSERT INTO kept VALUES (42)');
      await first.stop();
      const afterStop = await query(first.url, 'SELECT 1').then(() => 'answered', (e) => e.code);
      const second = await EmbeddedPostgresServer.start({ dir, port });
      try {
        return { before: before ?? null, afterStop, sameUrl: second.url === first.url,
                 urlFromDir: embeddedDatabaseUrl(dir, port) === first.url,
                 rows: await query(second.url, 'SELECT id FROM kept') };
      } finally { await second.stop(); }`);

    expect(result).toEqual({
      before: null,
      afterStop: 'ECONNREFUSED',
      sameUrl: true,
      urlFromDir: true,
      rows: [{ id: 42 }],
    });
    expect((await stat(join(dir, 'password'))).mode & 0o777).toBe(0o600);
  });

  it('should say what to do when the port is taken', async () => {
    const result = await inNode<{ error?: string }>(`
      const blocker = await EmbeddedPostgresServer.start({ dir: ${JSON.stringify(dir)}, port: ${port} });
      try {
        await EmbeddedPostgresServer.start({ dir: ${JSON.stringify(join(dir, 'other'))}, port: ${port} });
        return {};
      } catch (e) { return { error: e.message }; } finally { await blocker.stop(); }`);

    expect(result.error).toMatch(
      /port \d+ for the embedded PostgreSQL is in use.*set EMBEDDED_PG_PORT/,
    );
  });

  it('should re-initialise a half-initialised folder and leave no readable password when the first start is killed', async () => {
    const output = await killDuringFirstStart(dir, port);

    const leftInTmp = await Promise.all(
      [...new Set(['/tmp', tmpdir()])].map(async (folder) =>
        (await readdir(folder)).filter((name) => name.startsWith('pg-password-')),
      ),
    );
    const result = await inNode<{ notices: string[]; rows: unknown[] }>(`
      const server = await EmbeddedPostgresServer.start({ dir: ${JSON.stringify(dir)}, port: ${port}, onNotice });
      try { return { notices, rows: await query(server.url, 'SELECT 1 AS one') }; }
      finally { await server.stop(); }`);

    expect(output).toContain('INITDB ');
    expect(leftInTmp.flat()).toEqual([]);
    expect(result.rows).toEqual([{ one: 1 }]);
    // As root in a clone under /root, a notice about the binaries' copy comes first.
    expect(result.notices.filter((line) => line.includes('half-initialised'))).toEqual([
      expect.stringMatching(/half-initialised .*initialising it again/),
    ]);
    // The cluster's own files are the postgres user's, 0600 by initdb; everything else is ours.
    expect(await readableByOthers([dir], [join(dir, 'pgdata')])).toEqual([]);
  });

  it('should say what to do and keep the data when a cluster that holds data has lost its password file', async () => {
    const result = await inNode<{ error?: string; kept: boolean }>(`
      const { existsSync, rmSync } = require('node:fs');
      const dir = ${JSON.stringify(dir)}, port = ${port};
      await (await EmbeddedPostgresServer.start({ dir, port })).stop();
      rmSync(dir + '/password');
      try { await (await EmbeddedPostgresServer.start({ dir, port, onNotice })).stop(); return { kept: true }; }
      catch (e) { return { error: e.message, kept: existsSync(dir + '/pgdata/PG_VERSION') }; }`);

    expect(result).toEqual({
      error: expect.stringMatching(/holds data but its password file .* is missing\. Restore/),
      kept: true,
    });
  });

  it('should stop the server when the process that started it dies of an uncaught error', async () => {
    const crashed = await promisify(execFile)('node', [
      '-e',
      script(`
        const server = await EmbeddedPostgresServer.start({ dir: ${JSON.stringify(dir)}, port: ${port} });
        process.stderr.write(server.url);
        setImmediate(() => { throw new Error('crash'); });`),
    ]).then(
      () => ({ code: 0, url: '' }),
      (error: { code: number; stderr: string }) => ({
        code: error.code,
        url: /postgres:\/\/\S+\/mle/.exec(error.stderr)?.[0] ?? '',
      }),
    );

    const answer = await inNode<{ code?: string }>(`
      for (let i = 0; i < 50; i++) {
        const code = await query(${JSON.stringify(crashed.url)}, 'SELECT 1').then(() => 'answered', (e) => e.code);
        if (code === 'ECONNREFUSED') return { code };
        await new Promise((r) => setTimeout(r, 100));
      }
      return { code: 'still answering' };`);

    expect(crashed.code).toBe(1);
    expect(crashed.url).toMatch(/^postgres:/);
    expect(answer.code).toBe('ECONNREFUSED');
  });

  it('should give a clean message when the data folder is a file', async () => {
    const file = join(dir, 'not-a-folder');
    await writeFile(file, 'x');

    const result = await inNode<{ error?: string }>(`
      await EmbeddedPostgresServer.start({ dir: ${JSON.stringify(file)}, port: ${port} });
      return {};`);

    expect(result.error).toMatch(/could not use .*not-a-folder.*is not a folder.*EMBEDDED_PG_DIR/);
  });

  it('should print one "could not start" line and no stack when the service cannot start its embedded server', async () => {
    const file = join(dir, 'not-a-folder');
    await writeFile(file, 'x');

    const outcome = await new Promise<{ code: number | null; stderr: string }>((done) => {
      execFile(
        'node',
        [main],
        {
          timeout: 60_000,
          env: {
            ...process.env,
            NODE_ENV: 'test',
            DATABASE_URL: '',
            EMBEDDED_PG_DIR: file,
            EMBEDDED_PG_PORT: String(port),
            LOG_DIR: join(dir, 'logs'),
          },
        },
        (error, _stdout, stderr) => done({ code: error ? (error.code as number) : 0, stderr }),
      );
    });

    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toMatch(/mle-service could not start: .*not-a-folder.*EMBEDDED_PG_DIR/);
    expect(outcome.stderr).not.toMatch(/^\s+at /m);
  });

  (asRoot ? describe : describe.skip)('as root', () => {
    let home: string;

    beforeEach(async () => {
      home = await mkdtemp(join(tmpdir(), 'mle-embedded-home-'));
      await chmod(home, 0o711);
    });

    afterEach(async () => {
      await rm(home, { recursive: true, force: true });
    });

    it('should run from a folder only root can enter when the binaries are reached through it too', async () => {
      // A clone under /root: the project, its data folder and node_modules are behind a 0700 folder.
      await chmod(dir, 0o700);
      const project = join(dir, 'mle');
      await mkdir(join(project, 'node_modules'), { recursive: true });
      await symlink(native, join(project, 'node_modules', 'native'));
      const data = join(project, '.data', 'postgres');

      const result = await inNode<Record<string, unknown>>(`
        const server = await EmbeddedPostgresServer.start({ dir: ${JSON.stringify(data)}, port: ${port},
          home: ${JSON.stringify(home)}, native: ${JSON.stringify(join(project, 'node_modules', 'native'))}, onNotice });
        try {
          return { rows: await query(server.url, 'SELECT current_user AS who'), dataDir: server.dataDir,
                   urlFromDir: embeddedDatabaseUrl(${JSON.stringify(data)}, ${port}, ${JSON.stringify(home)}) === server.url, notices };
        } finally { await server.stop(); }`);

      expect(result).toEqual({
        rows: [{ who: 'postgres' }],
        dataDir: expect.stringMatching(new RegExp(`^${home}/[0-9a-f]{16}$`)),
        urlFromDir: true,
        notices: [
          expect.stringMatching(/the postgres user cannot enter .* lives in /),
          expect.stringMatching(/PostgreSQL binaries copied to /),
        ],
      });
      const dataDir = result.dataDir as string;
      expect((await stat(dir)).mode & 0o777).toBe(0o700);
      expect((await stat(dataDir)).mode & 0o777).toBe(0o711);
      expect((await stat(join(dataDir, 'password'))).mode & 0o777).toBe(0o600);
      expect((await stat(join(dataDir, 'pgdata'))).mode & 0o777).toBe(0o700);
    });
  });
});
