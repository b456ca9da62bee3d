/** How the retraining monitor evaluates, decides, schedules and notifies. */
export interface MonitoringOptions {
  /** RETRAIN when accuracy falls below this (on enough labels). */
  accuracyThreshold: number;
  /** Fewer labelled predictions than this: INSUFFICIENT_DATA. */
  minLabelled: number;
  /** Evaluate the predictions of the last this-many days. */
  windowDays: number;
  /** Cron expression of the nightly run; undefined: no schedule (CLI and POST only). */
  cron?: string;
  timeZone: string;
  /** PSI at or above these: moderate, significant drift. */
  psiModerate: number;
  psiSignificant: number;
  /** Fewer predictions of a version in the window than this: drift is not computed. */
  minDriftSample: number;
  /** Evaluations listed in the status trend. */
  trendLength: number;
  webhookUrl?: string;
  webhookTimeoutMs: number;
  webhookRetries: number;
  /**
   * This process ingests its prediction-log folder this often, from start-up, and once more at
   * shutdown once its log is closed. Undefined: it does not (command-line tools; the workers of a
   * primary that ingests for them); the evaluation still ingests before it evaluates.
   */
  ingestIntervalMs?: number;
  /** The longest an evaluation waits for a table lock (e.g. a `LOCK TABLE` on a labels table) before failing. */
  lockTimeoutMs: number;
  /**
   * Days of logged predictions kept in `predictions`: the nightly job drops the UTC days' partitions
   * that end more than this long ago. At least `windowDays + labelDelayDays`
   * (`minimumRetentionDays`); the evaluation itself reads the compact `prediction_outcomes` and
   * `prediction_feature_counts`, which are kept.
   */
  retentionDays: number;
  /** How long the labels take to arrive after a prediction, in days. */
  labelDelayDays: number;
  /** Days' partitions of `predictions` kept created ahead of today, at start-up and nightly. */
  partitionsAheadDays: number;
}

/**
 * The shortest retention allowed: every prediction an evaluation window can count stays in
 * `predictions` until its label has had time to arrive.
 */
export function minimumRetentionDays(
  options: Pick<MonitoringOptions, 'windowDays' | 'labelDelayDays'>,
): number {
  return options.windowDays + options.labelDelayDays;
}

export const DEFAULT_MONITORING_OPTIONS: MonitoringOptions = {
  accuracyThreshold: 0.7,
  minLabelled: 200,
  windowDays: 30,
  timeZone: 'UTC',
  psiModerate: 0.1,
  psiSignificant: 0.25,
  minDriftSample: 100,
  trendLength: 10,
  webhookTimeoutMs: 5_000,
  webhookRetries: 3,
  lockTimeoutMs: 30_000,
  retentionDays: 400,
  labelDelayDays: 30,
  partitionsAheadDays: 7,
};

export const RECOMMENDATIONS = ['OK', 'RETRAIN', 'INSUFFICIENT_DATA', 'WATCH'] as const;
export type Recommendation = (typeof RECOMMENDATIONS)[number];
