import { Evaluation } from './evaluation';

/** An evaluation in the status trend: when, which version, what it said. */
export function trendEntry(e: Evaluation) {
  return {
    evaluatedAt: e.evaluatedAt,
    modelVersion: e.modelVersion ?? null,
    recommendation: e.recommendation,
    accuracy: e.accuracy ?? null,
    labelled: e.labelled,
  };
}

/** The webhook's JSON body for a RETRAIN recommendation. */
export function webhookBody(e: Evaluation) {
  return {
    event: 'retraining.recommended',
    model: e.model,
    modelVersion: e.modelVersion,
    recommendation: e.recommendation,
    reasons: e.reasons,
    accuracy: e.accuracy,
    labelled: e.labelled,
    threshold: e.threshold,
    evaluationId: e.id,
    evaluatedAt: e.evaluatedAt,
  };
}

/** The structured log entry of an evaluation (a warning when it recommends retraining). */
export function logEntry(e: Evaluation) {
  const version = e.modelVersion ? ` ${e.modelVersion}` : '';
  return {
    message:
      e.recommendation === 'RETRAIN'
        ? `RETRAIN recommended for ${e.model}${version}: ${e.reasons.join('; ')}`
        : `Evaluation ${e.id} of ${e.model}${version}: ${e.recommendation}. ${e.reasons.join('; ')}`,
    event: e.recommendation === 'RETRAIN' ? 'retraining.recommended' : 'retraining.evaluated',
    evaluationId: e.id,
    model: e.model,
    modelVersion: e.modelVersion,
    recommendation: e.recommendation,
    accuracy: e.accuracy,
    labelled: e.labelled,
    threshold: e.threshold,
  };
}

/** What the gauges publish of a model's latest evaluation. */
export function gaugeValues(e: Evaluation) {
  return {
    model: e.model,
    version: e.modelVersion ?? 'none',
    accuracy: e.accuracy,
    labelled: e.labelled,
    recommendation: e.recommendation,
  };
}
