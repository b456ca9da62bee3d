/**
 * What the service does with a RETRAIN: `recommend` says so and stops; `challenger` (default)
 * trains a challenger and scores it in shadow for an operator to promote; `auto` also promotes
 * one that passes the gate, and rolls back a champion that does worse than its predecessor.
 */
export const RETRAINING_MODES = ['recommend', 'challenger', 'auto'] as const;
export type RetrainingMode = (typeof RETRAINING_MODES)[number];

export interface LifecycleOptions {
  mode: RetrainingMode;
  /** A challenger learns from the labelled rows of the last this-many days. */
  retrainWindowDays: number;
  /** After a promotion, the previous champion is scored in shadow for this many days. */
  shadowDays: number;
  /** Automatic rollback when McNemar's test says the champion is worse at this level. */
  rollbackAlpha: number;
  /** How often a replica checks which version to serve, should it miss a notification. */
  pollMs: number;
}

export const DEFAULT_LIFECYCLE_OPTIONS: LifecycleOptions = {
  mode: 'challenger',
  retrainWindowDays: 90,
  shadowDays: 30,
  rollbackAlpha: 0.05,
  pollMs: 2_000,
};
