export interface PredictionLogOptions {
  /** Off: nothing is written (benchmarks). */
  enabled: boolean;
  /** Folder of the log files, shared by every process (each writes its own file set). */
  dir: string;
  /** Rotate when the current file exceeds this size, e.g. `100m`, `512k`. */
  maxSize: string;
  /** Delete rotated, gzipped files older than this many days. */
  retentionDays: number;
}

export const PREDICTION_LOG_FILE_PREFIX = 'predictions';
