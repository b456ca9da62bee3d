import { execFile } from 'node:child_process';
import { resolve } from 'node:path';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a compiled command (`dist/apps/api/src/cli/<name>.command.js`) with extra environment. */
export function runCli(
  name: string,
  args: string[],
  env: Record<string, string | undefined>,
): Promise<CliResult> {
  const script = resolve(`dist/apps/api/src/cli/${name}.command.js`);
  return new Promise((done) => {
    execFile(
      process.execPath,
      [script, ...args],
      { env: { ...process.env, ...env }, timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}
