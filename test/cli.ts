import { execFile } from 'node:child_process';
import { resolve } from 'node:path';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Run as this system user (through runuser), e.g. to meet permissions that bind root. */
  user?: string;
}

function run(
  script: string,
  args: string[],
  env: Record<string, string | undefined>,
  { user }: RunOptions = {},
): Promise<CliResult> {
  const command = user ? ['runuser', '-u', user, '--', process.execPath] : [process.execPath];
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
  return run(resolve(`dist/apps/api/src/cli/${name}.command.js`), args, env, options);
}

/**
 * Runs the compiled service (`dist/apps/api/src/main.js`) to its end: for start-ups that are
 * expected to fail, which exit by themselves.
 */
export function runService(
  env: Record<string, string | undefined>,
  options?: RunOptions,
): Promise<CliResult> {
  return run(resolve('dist/apps/api/src/main.js'), [], env, options);
}
