import { readdir } from 'node:fs/promises';
import { PREDICTION_LOG_FILE_PREFIX } from '../../prediction-log/prediction-log.options';

/** One prediction log file, known by its name without `.gz`, and the forms found on disk. */
export interface PredictionLogFile {
  /**
   * `predictions-<host>-<pid>-<generation>-<YYYY-MM-DD>[.<N>].jsonl` (before generations:
   * `predictions-<host>-<pid>-<YYYY-MM-DD>[.<N>].jsonl`): also the checkpoint's key.
   */
  name: string;
  /** `<name>` exists: the current file of a process, or a rotated one not yet gzipped. */
  plain: boolean;
  /** `<name>.gz` exists: complete, since the writer renames it into place once written. */
  gzipped: boolean;
}

// What the writer names its files; `.gz.partial` and `.audit-*.json` do not match.
const LOG_FILE = new RegExp(
  `^(${PREDICTION_LOG_FILE_PREFIX}-.+-\\d+(?:-[0-9a-z]+)?-\\d{4}-\\d{2}-\\d{2}(?:\\.\\d+)?\\.jsonl)(\\.gz)?$`,
);

/** The prediction log files of every process in `dir`, by name; none when `dir` is missing. */
export async function findPredictionLogFiles(dir: string): Promise<PredictionLogFile[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const files = new Map<string, PredictionLogFile>();
  for (const entry of names) {
    const match = LOG_FILE.exec(entry);
    if (!match) continue;
    const [, name, gz] = match;
    const file = files.get(name) ?? { name, plain: false, gzipped: false };
    if (gz) file.gzipped = true;
    else file.plain = true;
    files.set(name, file);
  }
  return [...files.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
}
