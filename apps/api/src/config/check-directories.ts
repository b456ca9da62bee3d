import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Env, EnvValidationError } from './env.validation';

export type DirectorySetting = 'MODEL_DIR' | 'LOG_DIR';

/** What an entry point does with a folder: `read` needs a folder it can list, `write` one it can fill. */
export type DirectoryUse = 'read' | 'write';

const errorCode = (error: unknown) => (error as NodeJS.ErrnoException).code ?? String(error);

async function problemWith(setting: DirectorySetting, dir: string, use: DirectoryUse) {
  const shown = `${setting}=${JSON.stringify(dir)}`;
  try {
    if (!(await stat(dir)).isDirectory()) {
      return `${shown}: is a file, not a folder: set ${setting} to a folder (it is created when missing)`;
    }
  } catch (error) {
    if (errorCode(error) !== 'ENOTDIR' && errorCode(error) !== 'ENOENT') {
      return `${shown}: cannot be read (${errorCode(error)})`;
    }
    try {
      await mkdir(dir, { recursive: true });
    } catch (cause) {
      return `${shown}: cannot be created (${errorCode(cause)}): create it, or set ${setting} to a folder this user can create`;
    }
  }
  try {
    await access(dir, constants.R_OK | constants.X_OK);
    if (use === 'write') {
      // A real write: root passes every permission check, but not a read-only or full volume.
      const probe = join(dir, `.write-check-${process.pid}-${randomBytes(4).toString('hex')}`);
      await writeFile(probe, '');
      await rm(probe, { force: true });
    }
  } catch (error) {
    return `${shown}: is not ${use === 'write' ? 'writable' : 'readable'} (${errorCode(error)}) by this user (uid ${process.getuid?.() ?? '?'}): change its owner or permissions, or set ${setting} to another folder`;
  }
  return undefined;
}

/**
 * Checks at start-up that each folder an entry point uses exists (creating it when missing), is a
 * folder, and can be read or written, so a bad MODEL_DIR or LOG_DIR stops the process with a
 * message that names it rather than failing its first request or training run.
 */
export async function checkDirectories(
  env: Pick<Env, DirectorySetting>,
  uses: Partial<Record<DirectorySetting, DirectoryUse>>,
): Promise<void> {
  const problems: string[] = [];
  for (const [setting, use] of Object.entries(uses) as [DirectorySetting, DirectoryUse][]) {
    const problem = await problemWith(setting, env[setting], use);
    if (problem) problems.push(problem);
  }
  if (problems.length > 0) throw new EnvValidationError(problems);
}
