import { ChildProcess, execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { runsAsRoot } from './embedded-postgres.location';

/** The user the PostgreSQL programs run as: root's are the `postgres` system user's. */
export interface RunAs {
  uid: number;
  gid: number;
}

const READY = 'database system is ready to accept connections';
const START_TIMEOUT_MS = 60_000;

/**
 * One PostgreSQL program run by the embedded server. Every failure of the child (it cannot be
 * spawned, exits with an error, never gets ready) rejects with the last lines it printed; none
 * is left as an unhandled 'error' event.
 */
export class PostgresProcess {
  // Should this process end without stopping the server (an uncaught error), the server ends
  // with it rather than holding the port and the data folder for the next start.
  private readonly stopOnExit = () => this.child.kill('SIGINT');

  private constructor(private readonly child: ChildProcess) {
    process.once('exit', this.stopOnExit);
  }

  /** Undefined for a normal user (PostgreSQL runs as that user); root's is created if missing. */
  static async runAs(): Promise<RunAs | undefined> {
    if (!runsAsRoot()) return undefined;
    const id = async (flag: string) =>
      Number((await promisify(execFile)('id', [flag, 'postgres'])).stdout);
    try {
      return { uid: await id('-u'), gid: await id('-g') };
    } catch {
      try {
        await promisify(execFile)('groupadd', ['--system', 'postgres']).catch(() => undefined);
        await promisify(execFile)('useradd', ['--system', '-g', 'postgres', 'postgres']);
        return { uid: await id('-u'), gid: await id('-g') };
      } catch (error) {
        throw new Error(
          `PostgreSQL does not run as root and the "postgres" user could not be created ` +
            `(${(error as Error).message.trim()}). Create it (useradd --system postgres) or run ` +
            'as a normal user.',
        );
      }
    }
  }

  /** Runs initdb to its end. */
  static async initdb(
    initdb: string,
    args: string[],
    options: { cwd: string; runAs?: RunAs; onLog: (line: string) => void },
  ): Promise<void> {
    const child = run(initdb, args, options);
    await new Promise<void>((resolveRun, reject) => {
      const output = lastLines(child, options.onLog);
      child.once('error', (error) => reject(spawnFailure(initdb, error)));
      child.once('exit', (code, signal) =>
        code === 0
          ? resolveRun()
          : reject(new Error(`initdb failed (${signal ?? `exit code ${code}`}): ${output()}`)),
      );
    });
  }

  /** Starts the server and resolves once it accepts connections. */
  static async start(
    postgres: string,
    args: string[],
    options: { cwd: string; runAs?: RunAs; onLog: (line: string) => void },
  ): Promise<PostgresProcess> {
    const child = run(postgres, args, options);
    await new Promise<void>((resolveStart, reject) => {
      const output = lastLines(child, (line) => {
        options.onLog(line);
        if (line.includes(READY)) done();
      });
      const timer = setTimeout(() => {
        child.kill('SIGINT');
        done(new Error(`PostgreSQL was not ready after ${START_TIMEOUT_MS / 1000} s: ${output()}`));
      }, START_TIMEOUT_MS);
      const done = (error?: Error) => {
        clearTimeout(timer);
        child.removeListener('exit', exited);
        if (error) reject(error);
        else resolveStart();
      };
      const exited = (code: number | null, signal: string | null) =>
        done(new Error(`PostgreSQL exited (${signal ?? `exit code ${code}`}): ${output()}`));
      child.once('error', (error) => done(spawnFailure(postgres, error)));
      child.once('exit', exited);
    });
    return new PostgresProcess(child);
  }

  /** Fast shutdown (SIGINT): ends sessions, checkpoints, exits. */
  async stop(): Promise<void> {
    process.removeListener('exit', this.stopOnExit);
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolveExit) => this.child.once('exit', resolveExit));
    this.child.kill('SIGINT');
    await exited;
  }
}

function run(
  file: string,
  args: string[],
  { cwd, runAs }: { cwd: string; runAs?: RunAs },
): ChildProcess {
  // Messages in English, as the readiness check reads them; the working folder is one the
  // postgres user can enter (the caller's may be closed to it).
  return spawn(file, args, {
    cwd,
    ...runAs,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LC_MESSAGES: 'C' },
  });
}

/** Forwards the child's output line by line and keeps its last lines for an error message. */
function lastLines(child: ChildProcess, onLine: (line: string) => void): () => string {
  const kept: string[] = [];
  const read = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      onLine(line);
      kept.push(line.trim());
      if (kept.length > 5) kept.shift();
    }
  };
  child.stdout?.on('data', read);
  child.stderr?.on('data', read);
  return () => kept.join(' / ') || '(no output)';
}

function spawnFailure(file: string, error: NodeJS.ErrnoException): Error {
  const hint =
    error.code === 'EACCES'
      ? ': the user PostgreSQL runs as cannot reach or execute it (check the permissions of the folders above it)'
      : '';
  return new Error(`could not run ${file} (${error.code ?? error.message})${hint}`);
}
