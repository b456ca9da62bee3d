import { wilsonInterval } from '../lifecycle/paired-comparison';

/** Predictions of one version on one UTC day, by predicted class and probability bin. */
export interface ScoreCounts {
  day: string;
  /** `p<bin>` for a predicted positive, `n<bin>` for a negative; bins are hundredths of [0, 1]. */
  bins: ReadonlyMap<string, number>;
}

export const SCORE_BINS = 100;
/** The pseudo-feature under which the ingestion counts predictions by class and probability. */
export const SCORE_FEATURE = '#score';

/** The bin of a prediction: its class and the hundredth its probability falls in. */
export function scoreBin(prediction: boolean, probability: number): string {
  const bin = Math.min(SCORE_BINS - 1, Math.max(0, Math.floor(probability * SCORE_BINS)));
  return `${prediction ? 'p' : 'n'}${bin}`;
}

export interface EstimatedValue {
  value: number;
  standardError: number;
  /** value ± 3 standard errors, within [0, 1]. */
  low: number;
  high: number;
}

/** Metrics estimated from calibrated probabilities alone (confidence-based estimation). */
export interface EstimatedMetrics {
  predictions: number;
  accuracy: EstimatedValue;
  precision: EstimatedValue;
  recall: EstimatedValue;
  f1: EstimatedValue;
}

/** Accuracy as measured on labels, with its 95% Wilson interval. */
export interface RealizedAccuracy {
  labelled: number;
  accuracy: number;
  low: number;
  high: number;
}

export interface DailyPerformance {
  day: string;
  version: string;
  predictions: number;
  labelled: number;
  realized: RealizedAccuracy | null;
  estimated: EstimatedMetrics | null;
}

export interface VersionEstimate {
  version: string;
  /** Whether the version's manifest holds a calibration (otherwise its raw probabilities). */
  calibrated: boolean;
  estimated: EstimatedMetrics | null;
}

/** What an evaluation says it expects, beside what it measured. */
export interface PerformanceEstimation {
  versions: VersionEstimate[];
  /** The evaluated version, per UTC day of the window with predictions. */
  daily: DailyPerformance[];
  /** The evaluated version on the days without any label yet. */
  unlabelledDays: { days: string[]; estimated: EstimatedMetrics | null };
}

const BAND = 3;

function estimatedValue(value: number, variance: number, n: number): EstimatedValue {
  const standardError = n > 0 ? Math.sqrt(Math.max(0, variance)) / n : 0;
  return {
    value,
    standardError,
    low: Math.max(0, value - BAND * standardError),
    high: Math.min(1, value + BAND * standardError),
  };
}

/** A rate m over an effective n: the binomial standard error. */
function binomialValue(m: number, n: number): EstimatedValue {
  return estimatedValue(m, n * m * (1 - m), n);
}

/**
 * CBPE: with calibrated probabilities q, a predicted positive is a true positive with
 * probability q and a false positive with 1 − q; a predicted negative a false negative with q and
 * a true negative with 1 − q. Summing gives the expected confusion matrix; accuracy's and
 * precision's standard errors are those of a sum of independent Bernoulli trials, recall's and
 * F1's the binomial ones on their expected denominators. `calibrate` maps a raw probability.
 */
export function estimateFromScores(
  counts: Iterable<ReadonlyMap<string, number>>,
  calibrate: (p: number) => number,
): EstimatedMetrics | null {
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  let n = 0;
  let positives = 0;
  let varianceAll = 0;
  let variancePositives = 0;
  for (const bins of counts) {
    for (const [key, count] of bins) {
      const q = calibrate((Number(key.slice(1)) + 0.5) / SCORE_BINS);
      const bernoulli = count * q * (1 - q);
      n += count;
      varianceAll += bernoulli;
      if (key[0] === 'p') {
        positives += count;
        variancePositives += bernoulli;
        tp += count * q;
        fp += count * (1 - q);
      } else {
        fn += count * q;
        tn += count * (1 - q);
      }
    }
  }
  if (n === 0) return null;
  const precision = positives > 0 ? tp / positives : 0;
  const recall = tp + fn > 0 ? tp / (tp + fn) : 0;
  const f1 = 2 * tp + fp + fn > 0 ? (2 * tp) / (2 * tp + fp + fn) : 0;
  return {
    predictions: n,
    accuracy: estimatedValue((tp + tn) / n, varianceAll, n),
    precision: estimatedValue(precision, variancePositives, positives),
    recall: binomialValue(recall, tp + fn),
    f1: binomialValue(f1, (2 * tp + fp + fn) / 2),
  };
}

/** Realized accuracy from labelled and correct counts, with its Wilson interval. */
export function realizedAccuracy(labelled: number, correct: number): RealizedAccuracy | null {
  if (labelled === 0) return null;
  const { low, high } = wilsonInterval(correct, labelled);
  return { labelled, accuracy: correct / labelled, low, high };
}
