import { DEFAULT_LIFECYCLE_OPTIONS, LifecycleOptions } from '../lifecycle/lifecycle.options';
import { DEFAULT_MONITORING_OPTIONS, MonitoringOptions } from '../monitoring/monitoring.options';
import { PredictionLogOptions } from '../prediction-log/prediction-log.options';

export interface MleOptions {
  /** Root of the model artifacts: `<modelDir>/<model name>/<version>/`. */
  modelDir: string;
  /** Versions kept besides `current` when a new one is saved. */
  keepVersions: number;
  /** Share of the labelled rows kept aside (by a hash of their id) to evaluate a fit. */
  holdoutFraction: number;
  /** Load the current version when the application starts (off for command-line tools). */
  loadOnStart: boolean;
  /** When no version exists at start, train one first (the embedded demo mode). */
  trainWhenMissing: boolean;
  /** Where and how predictions are logged. */
  predictionLog: PredictionLogOptions;
  /** The retraining monitor: threshold, window, schedule, drift and webhook. */
  monitoring: MonitoringOptions;
  /** What a RETRAIN leads to (mode), how challengers train and shadows last. */
  lifecycle: LifecycleOptions;
}

export const DEFAULT_MLE_OPTIONS: Omit<MleOptions, 'modelDir'> = {
  predictionLog: { enabled: false, dir: '.data/logs', maxSize: '100m', retentionDays: 30 },
  monitoring: DEFAULT_MONITORING_OPTIONS,
  lifecycle: DEFAULT_LIFECYCLE_OPTIONS,
  keepVersions: 5,
  holdoutFraction: 0.2,
  loadOnStart: true,
  trainWhenMissing: false,
};
