import { execFile, spawn } from 'node:child_process';
import { AS_OTHER_USER, projectPath } from './other-user';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface TimedCliResult extends CliResult {
  /** Milliseconds from the last output (stdout or stderr) to the exit of the process. */
  exitAfterLastOutputMs: number;
}

export interface RunOptions {
  /** Run as an ordinary user (`OTHER_UID`), e.g. to meet permissions that bind root. */
  asOtherUser?: boolean;
}

function run(
  script: string,
  args: string[],
  env: Record<string, string | undefined>,
  { asOtherUser = false }: RunOptions = {},
): Promise<CliResult> {
  const command = asOtherUser ? [...AS_OTHER_USER, process.execPath] : [process.execPath];
  return new Promise((done) => {
    execFile(
      command[0],
      [...command.slice(1), script, ...args],
      { env: { ...process.env, ...env }, timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

/** Runs a compiled command (`dist/apps/api/src/cli/<name>.command.js`) with extra environment. */
export function runCli(
  name: string,
  args: string[],
  env: Record<string, string | undefined>,
  options?: RunOptions,
): Promise<CliResult> {
  return run(projectPath(`dist/apps/api/src/cli/${name}.command.js`), args, env, options);
}

/**
 * Runs the compiled service (`dist/apps/api/src/main.js`) to its end: for start-ups that are
 * expected to fail, which exit by themselves.
 */
export function runService(
  env: Record<string, string | undefined>,
  options?: RunOptions,
): Promise<CliResult> {
  return run(projectPath('dist/apps/api/src/main.js'), [], env, options);
}

/**
 * Runs a compiled command like `runCli`, and measures how long it stays alive after its last
 * output. Killed after `timeoutMs` (the result then has code -1).
 */
export function runCliTimed(
  name: string,
  args: string[],
  env: Record<string, string | undefined>,
  timeoutMs = 60_000,
): Promise<TimedCliResult> {
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      [projectPath(`dist/apps/api/src/cli/${name}.command.js`), ...args],
      {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const out = { stdout: '', stderr: '' };
    let lastOutput = performance.now();
    for (const stream of ['stdout', 'stderr'] as const) {
      child[stream].setEncoding('utf8');
      child[stream].on('data', (chunk: string) => {
        out[stream] += chunk;
        lastOutput = performance.now();
      });
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    let exitedAt = 0;
    child.on('error', fail);
    child.on('exit', () => (exitedAt = performance.now()));
    // 'close' follows 'exit' once the pipes have ended, so every chunk has been read.
    child.on('close', (code) => {
      clearTimeout(timer);
      const exitAfterLastOutputMs = Math.max(0, exitedAt - lastOutput);
      done({ code: code ?? -1, ...out, exitAfterLastOutputMs });
    });
  });
}
