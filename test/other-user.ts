import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';

const AS_ROOT = process.getuid?.() === 0;

/**
 * An ordinary user's id, for the tests that run the service without root's rights (root ignores
 * folder permissions). No account is needed: processes take the id through `setpriv`. Run by an
 * ordinary user already, the tests are that user: nothing to drop.
 */
export const OTHER_UID = AS_ROOT ? 1000 : process.getuid!();
export const OTHER_GID = AS_ROOT ? 1000 : process.getgid!();

/** The command prefix that runs a program as `OTHER_UID` (`env`, a no-op, when not root). */
export const AS_OTHER_USER = AS_ROOT
  ? ['setpriv', `--reuid=${OTHER_UID}`, `--regid=${OTHER_GID}`, '--clear-groups', '--']
  : ['env', '--'];

/**
 * A path of the project (`dist/...`) as the tests run it. When a clone sits behind a folder
 * only root may enter (`/root` is 0700), the global setup binds the project to a folder every
 * user can reach, and this answers paths under it, so a service run as `OTHER_UID` finds its
 * code and its `node_modules`.
 */
export function projectPath(path: string): string {
  return join(process.env.MLE_TEST_PROJECT_DIR ?? resolve('.'), path);
}

/** Whether every folder above `path` lets other users through. */
function reachableByOthers(path: string): boolean {
  for (let dir = path; ; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) return false;
    if (dirname(dir) === dir) return true;
  }
}

/** The folder whose `node_modules` the project uses: its own, or the nearest above it. */
function modulesRoot(project: string): string {
  for (let dir = project; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'node_modules'))) return dir;
    if (dirname(dir) === dir) return project;
  }
}

/**
 * As root, when the project cannot be reached by other users, binds it (with the folder its
 * `node_modules` is in) under `runDir` (which is 0755) and records the place for `projectPath`.
 * Elsewhere, nothing to do.
 */
export async function shareProjectWithOtherUsers(runDir: string): Promise<void> {
  const project = resolve('.');
  if (process.getuid?.() !== 0 || reachableByOthers(project)) return;
  const root = modulesRoot(project);
  const bound = join(runDir, 'project');
  await mkdir(bound);
  execFileSync('mount', ['--bind', root, bound]);
  process.env.MLE_TEST_PROJECT_DIR = join(bound, relative(root, project));
}

/** Unmounts every file system mounted under `dir` (binds, and tmpfs a failed test left). */
export async function unmountUnder(dir: string): Promise<void> {
  const mounts = (await readFile('/proc/self/mounts', 'utf8'))
    .split('\n')
    .map((line) => line.split(' ')[1])
    .filter((point) => point?.startsWith(`${dir}/`))
    // Deepest first.
    .sort((a, b) => b.length - a.length);
  for (const point of mounts) {
    try {
      execFileSync('umount', ['--lazy', point], { stdio: 'ignore' });
    } catch {
      // Not ours to unmount, or already gone.
    }
  }
}
