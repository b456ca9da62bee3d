import { BinaryMetrics, metricsFromConfusion } from '../metrics/binary-metrics';
import type { ConfusionRow } from './repositories/outcome.repository';

export interface EvaluationWindow {
  from: Date;
  to: Date;
}

export interface VersionEvaluation {
  version: string;
  /** Predictions (one per input id) whose label is known, and those still waiting for it. */
  labelled: number;
  unlabelled: number;
  /** labelled / (labelled + unlabelled). */
  labelCoverage: number;
  metrics: BinaryMetrics;
  lastPredictionAt: string;
}

export interface AccuracyEvaluation {
  window: { from: string; to: string };
  overall: Omit<VersionEvaluation, 'version' | 'lastPredictionAt'>;
  /** The most recently used version first. */
  versions: VersionEvaluation[];
}

function summarise(row: ConfusionRow | undefined) {
  const labelled = row?.labelled ?? 0;
  const unlabelled = row?.unlabelled ?? 0;
  return {
    labelled,
    unlabelled,
    labelCoverage: labelled + unlabelled === 0 ? 0 : labelled / (labelled + unlabelled),
    metrics: metricsFromConfusion({
      truePositive: row?.tp ?? 0,
      falsePositive: row?.fp ?? 0,
      trueNegative: row?.tn ?? 0,
      falseNegative: row?.fn ?? 0,
    }),
  };
}

/**
 * Accuracy and related metrics per model version and overall, from the confusion counts of the
 * outcomes in the window (one per input and version: the latest prediction counts, so a retried
 * input weighs once). Overall counts each (input, version) once.
 */
export function accuracyEvaluation(
  rows: readonly ConfusionRow[],
  window: EvaluationWindow,
): AccuracyEvaluation {
  return {
    window: { from: window.from.toISOString(), to: window.to.toISOString() },
    overall: summarise(rows.find((row) => row.version === null)),
    versions: rows
      .filter((row): row is ConfusionRow & { version: string } => row.version !== null)
      .map((row) => ({
        version: row.version,
        ...summarise(row),
        lastPredictionAt: (row.lastPredictionAt as Date).toISOString(),
      }))
      .sort((a, b) => b.lastPredictionAt.localeCompare(a.lastPredictionAt)),
  };
}
