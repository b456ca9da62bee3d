import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedPostgresServer } from '../apps/api/src/database/embedded-postgres.server';
import { migrateTestDatabase, testDatabaseUrl } from './test-database';

declare global {
  var embeddedTestPostgres: EmbeddedPostgresServer | undefined;
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
 */
export default async function globalSetup(): Promise<void> {
  // Tests that run the service in a child process (CLI, shutdown) use the compiled output.
  execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
  process.env.ANALYST_PASSWORD ??= randomBytes(12).toString('base64url');
  if (!process.env.TEST_DATABASE_URL) {
    const dir = await mkdtemp(join(tmpdir(), 'mle-test-pg-'));
    const server = await EmbeddedPostgresServer.start({ dir, port: await freePort() });
    globalThis.embeddedTestPostgres = server;
    process.env.TEST_DATABASE_URL = server.url;
  }
  await migrateTestDatabase(testDatabaseUrl(), { reset: true });
}
