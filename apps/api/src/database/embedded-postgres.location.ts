import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * Where root keeps what the `postgres` user must reach (a cluster, a copy of the binaries) when
 * the project sits behind a folder that user cannot enter, such as root's 0700 home.
 */
export const ROOT_ONLY_HOME = '/var/lib/mle-service';

/** The files of one embedded cluster. */
export interface EmbeddedPostgresLocation {
  /** The folder asked for (EMBEDDED_PG_DIR), resolved. */
  requested: string;
  /** The folder that holds the cluster: `requested`, or a folder under the root-only home. */
  root: string;
  data: string;
  password: string;
  /** Present from the first step of a first start until its last: its presence means "unfinished". */
  initialising: string;
  /** Why the cluster is not in `requested`, when it is not. */
  movedBecause?: string;
}

export function runsAsRoot(): boolean {
  return process.geteuid?.() === 0;
}

/**
 * The nearest existing folder above `path` that other users cannot enter (no `x` for others),
 * if any. The `postgres` user is an "other" user to every folder of a project.
 */
export function closedFolderAbove(path: string): string | undefined {
  let folder = dirname(resolve(path));
  for (;;) {
    try {
      if ((statSync(folder).mode & 0o001) === 0) return folder;
    } catch {
      // Not created yet: it will be created open (mkdir's default), so it does not block.
    }
    const parent = dirname(folder);
    if (parent === folder) return undefined;
    folder = parent;
  }
}

/**
 * Where the embedded cluster for `dir` lives. A normal user's server runs as that user and uses
 * `dir` itself. Root's runs as the `postgres` user: when a folder above `dir` is closed to it,
 * the cluster lives in `<home>/<hash of dir>` instead (the same folder on every run).
 */
export function embeddedPostgresLocation(
  dir: string,
  home = ROOT_ONLY_HOME,
): EmbeddedPostgresLocation {
  const requested = resolve(dir);
  const closed = runsAsRoot() ? closedFolderAbove(requested) : undefined;
  const root = closed
    ? join(home, createHash('sha256').update(requested).digest('hex').slice(0, 16))
    : requested;
  return {
    requested,
    root,
    data: join(root, 'pgdata'),
    password: join(root, 'password'),
    initialising: join(root, 'initialising'),
    movedBecause: closed && `the postgres user cannot enter ${closed}`,
  };
}
