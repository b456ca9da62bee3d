import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedPostgresServer } from '../apps/api/src/database/embedded-postgres.server';
import { shareProjectWithOtherUsers } from './other-user';
import { migrateTestDatabase, testDatabaseUrl } from './test-database';

declare global {
  var embeddedTestPostgres: EmbeddedPostgresServer | undefined;
  var testRunDir: string | undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * One PostgreSQL for the whole suite with the real migrations applied: an embedded cluster in a
 * temporary folder, or the server at TEST_DATABASE_URL (its database is reset first).
 *
 * Every temporary folder of the run (the tests', the workers' and their child processes') goes
 * under one folder, which the teardown removes: TMPDIR is what `os.tmpdir()` answers.
 */
export default async function globalSetup(): Promise<void> {
  // Tests that run the service in a child process (CLI, shutdown) use the compiled output.
  execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
  const runDir = await mkdtemp(join(tmpdir(), 'mle-test-run-'));
  // The embedded server runs as its own user: it must reach the folders below.
  await chmod(runDir, 0o755);
  globalThis.testRunDir = runDir;
  process.env.TMPDIR = runDir;
  await shareProjectWithOtherUsers(runDir);
  process.env.ANALYST_PASSWORD ??= randomBytes(12).toString('base64url');
  if (!process.env.TEST_DATABASE_URL) {
    const dir = await mkdtemp(join(tmpdir(), 'mle-test-pg-'));
    const server = await EmbeddedPostgresServer.start({ dir, port: await freePort() });
    globalThis.embeddedTestPostgres = server;
    process.env.TEST_DATABASE_URL = server.url;
  }
  await migrateTestDatabase(testDatabaseUrl(), { reset: true });
}
