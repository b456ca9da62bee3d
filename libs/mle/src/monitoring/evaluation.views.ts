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

/** The event an evaluation is announced as: a recommendation, an early warning, or neither. */
function eventOf(e: Evaluation): string {
  if (e.recommendation === 'RETRAIN') return 'retraining.recommended';
  return e.recommendation === 'WATCH' ? 'retraining.watch' : 'retraining.evaluated';
}

/** The webhook's JSON body for a RETRAIN recommendation or a WATCH. */
export function webhookBody(e: Evaluation) {
  return {
    event: eventOf(e),
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
      e.recommendation === 'RETRAIN' || e.recommendation === 'WATCH'
        ? `${e.recommendation === 'RETRAIN' ? 'RETRAIN recommended' : 'WATCH'} for ${e.model}${version}: ${e.reasons.join('; ')}`
        : `Evaluation ${e.id} of ${e.model}${version}: ${e.recommendation}. ${e.reasons.join('; ')}`,
    event: eventOf(e),
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
    /** Per version evaluated (champion and shadow), the accuracy estimated over the window. */
    estimated: (e.estimation?.versions ?? []).flatMap(({ version, estimated }) =>
      estimated ? [{ version, accuracy: estimated.accuracy.value }] : [],
    ),
  };
}
