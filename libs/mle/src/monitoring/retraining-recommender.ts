import { BinaryMetrics } from '../metrics/binary-metrics';
import { Recommendation } from './monitoring.options';

export interface RecommendationInput {
  /** The served version's metrics on its labelled predictions in the window. */
  metrics: BinaryMetrics | undefined;
  version: string | undefined;
  threshold: number;
  minLabelled: number;
  /** Features whose drift is significant: a WATCH, never a RETRAIN by itself. */
  driftedFeatures: string[];
  /** The estimated accuracy of the version's predictions on the days without labels yet. */
  unlabelledEstimate?: {
    accuracy: number;
    low: number;
    high: number;
    predictions: number;
    days: number;
  };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/**
 * The retraining rule: RETRAIN when accuracy is below the threshold on at least `minLabelled`
 * labelled predictions; INSUFFICIENT_DATA below that count; OK otherwise — except that WATCH
 * replaces OK or INSUFFICIENT_DATA when the estimate for the days without labels is below the
 * threshold with its whole ±3 standard-error band, or a feature drifts significantly. Neither
 * alone says RETRAIN (the estimate is blind to a changed rule, drift may not hurt): they warn.
 */
export function recommend(input: RecommendationInput): {
  recommendation: Recommendation;
  reasons: string[];
} {
  const { metrics, version, threshold, minLabelled, driftedFeatures } = input;
  const reasons: string[] = [];
  let recommendation: Recommendation;
  const labelled = metrics?.count ?? 0;
  if (!version) {
    recommendation = 'INSUFFICIENT_DATA';
    reasons.push('no model version has predictions in the window');
  } else if (!metrics || labelled < minLabelled) {
    recommendation = 'INSUFFICIENT_DATA';
    reasons.push(
      `only ${labelled} labelled predictions of version ${version} in the window; at least ${minLabelled} are needed for a verdict`,
    );
  } else {
    const [low, high] = metrics.accuracyInterval;
    const accuracy = `accuracy ${pct(metrics.accuracy)} (95% CI ${pct(low)}–${pct(high)}) on ${labelled} labelled predictions`;
    if (metrics.accuracy < threshold) {
      recommendation = 'RETRAIN';
      reasons.push(`${accuracy} is below the threshold ${pct(threshold)}`);
    } else {
      recommendation = 'OK';
      reasons.push(`${accuracy} meets the threshold ${pct(threshold)}`);
    }
    if (metrics.accuracy <= metrics.majorityClassAccuracy) {
      reasons.push(
        `always answering the majority class would score ${pct(metrics.majorityClassAccuracy)}: the model adds nothing over it`,
      );
    }
  }
  const estimate = input.unlabelledEstimate;
  const estimatedBelow = estimate !== undefined && estimate.high < threshold;
  if (estimate) {
    reasons.push(
      `estimated accuracy ${pct(estimate.accuracy)} (±3 SE ${pct(estimate.low)}–${pct(estimate.high)}) on ${estimate.predictions} predictions of the ${estimate.days === 1 ? 'day' : `${estimate.days} days`} without labels ${estimatedBelow ? 'is below' : 'is not below'} the threshold ${pct(threshold)}`,
    );
  }
  if (driftedFeatures.length > 0) {
    reasons.push(`significant drift in ${driftedFeatures.join(', ')}`);
  }
  const warned = estimatedBelow || driftedFeatures.length > 0;
  if (version && recommendation !== 'RETRAIN' && warned) recommendation = 'WATCH';
  return { recommendation, reasons };
}
