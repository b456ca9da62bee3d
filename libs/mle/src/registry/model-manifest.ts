import { CalibrationReport } from '../estimators/calibration';
import { FeatureSchema } from '../feature-schema';
import { BinaryMetrics } from '../metrics/binary-metrics';
import { FitReport } from '../model.service';
import { ReferenceDistribution } from '../monitoring/reference-distribution';

export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_FORMAT = 1;

export interface TrainingSummary {
  /** Rows fitted on, and rows kept aside for the holdout. */
  rows: number;
  holdoutRows: number;
  /** First and last example of the data (ISO), and the range asked for. */
  from?: string;
  to?: string;
  requested: { from?: string; to?: string };
  holdout: BinaryMetrics;
  /** The first example of the holdout (ISO) and how it was chosen (`latest`: by time). */
  holdoutFrom?: string;
  holdoutSplit?: 'hash' | 'latest';
  /**
   * The probability calibration, fitted on the holdout; `calibration.calibration` is present
   * only when it lowered the expected calibration error on held-out folds.
   */
  calibration?: CalibrationReport;
  fit: FitReport;
  seconds: number;
}

/** What a version folder holds besides the model's own files. */
export interface ModelManifest {
  format: typeof MANIFEST_FORMAT;
  name: string;
  version: string;
  createdAt: string;
  featureSchema: FeatureSchema;
  training: TrainingSummary;
  /** Training distribution of every feature: drift detection compares traffic with it. */
  reference: ReferenceDistribution;
  /** SHA-256 of every file the model saved, checked on load. */
  files: Record<string, string>;
}
