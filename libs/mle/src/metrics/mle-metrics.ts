import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Evaluation } from '../monitoring/evaluation';
import { gaugeValues } from '../monitoring/evaluation.views';
import { RECOMMENDATIONS } from '../monitoring/monitoring.options';
import { MetricsRegistry } from './metrics.registry';

// When the registries of several processes of one service are merged (prom-client's
// AggregatorRegistry), each holds these gauges with the same value: the merge takes the highest
// instead of the sum (counters and histograms are summed). `max` rather than `first`: the result
// does not depend on which process answered first, and while a reload reaches the processes one
// after another, every version being served shows 1.
const SAME_IN_EVERY_PROCESS = 'max';

/** The kit's Prometheus metrics (base units, `_total` counters, low-cardinality labels). */
@Injectable()
export class MleMetrics {
  readonly predictions: Counter<'model' | 'version' | 'class'>;
  readonly predictionLogWriteErrors: Counter;
  readonly ingestedLines: Counter;
  readonly ingestionSkippedLines: Counter;
  readonly ingestionFailures: Counter;
  readonly ingestionSeconds: Histogram;
  readonly shadowPredictions: Counter<'model' | 'version'>;
  readonly shadowErrors: Counter<'model' | 'version'>;
  readonly modelInfo: Gauge<'model' | 'version'>;
  readonly accuracy: Gauge<'model' | 'version'>;
  readonly labelled: Gauge<'model' | 'version'>;
  readonly estimatedAccuracy: Gauge<'model' | 'version'>;
  readonly recommendation: Gauge<'model' | 'recommendation'>;

  constructor(readonly registry: MetricsRegistry) {
    this.predictions = new Counter({
      name: 'mle_predictions_total',
      help: 'Predictions served, by model, version and predicted class.',
      labelNames: ['model', 'version', 'class'],
      registers: [registry],
    });
    this.predictionLogWriteErrors = new Counter({
      name: 'mle_prediction_log_write_errors_total',
      help: 'Prediction records that could not be written to the prediction log.',
      registers: [registry],
    });
    this.ingestedLines = new Counter({
      name: 'mle_prediction_log_ingested_lines_total',
      help: 'Prediction-log lines this process loaded into PostgreSQL (new rows; lines found already loaded are not counted).',
      registers: [registry],
    });
    this.ingestionSkippedLines = new Counter({
      name: 'mle_prediction_log_ingestion_skipped_lines_total',
      help: 'Malformed or truncated prediction-log lines this process skipped while ingesting.',
      registers: [registry],
    });
    this.ingestionFailures = new Counter({
      name: 'mle_prediction_log_ingestion_failures_total',
      help: 'Ingestions of the prediction log that failed (the database did not answer, a file could not be listed); the next one resumes from the checkpoints.',
      registers: [registry],
    });
    this.ingestionSeconds = new Histogram({
      name: 'mle_prediction_log_ingestion_seconds',
      help: 'Duration of each ingestion of the prediction log, succeeded or failed.',
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300],
      registers: [registry],
    });
    this.shadowPredictions = new Counter({
      name: 'mle_shadow_predictions_total',
      help: 'Predictions of a shadow version (scored after the answer, logged, never answered).',
      labelNames: ['model', 'version'],
      registers: [registry],
    });
    this.shadowErrors = new Counter({
      name: 'mle_shadow_errors_total',
      help: 'Requests a shadow version failed to score (the answers were not affected).',
      labelNames: ['model', 'version'],
      registers: [registry],
    });
    this.modelInfo = new Gauge({
      name: 'mle_model_info',
      help: 'The model version being served (value 1).',
      labelNames: ['model', 'version'],
      aggregator: SAME_IN_EVERY_PROCESS,
      registers: [registry],
    });
    this.accuracy = new Gauge({
      name: 'mle_model_accuracy_ratio',
      help: 'Accuracy of the current version on its labelled predictions in the evaluation window.',
      labelNames: ['model', 'version'],
      aggregator: SAME_IN_EVERY_PROCESS,
      registers: [registry],
    });
    this.labelled = new Gauge({
      name: 'mle_model_labelled_predictions',
      help: 'Labelled predictions of the current version in the evaluation window.',
      labelNames: ['model', 'version'],
      aggregator: SAME_IN_EVERY_PROCESS,
      registers: [registry],
    });
    this.estimatedAccuracy = new Gauge({
      name: 'mle_model_estimated_accuracy_ratio',
      help: 'Accuracy estimated from calibrated probabilities over all predictions of the evaluation window, labelled or not, per version (champion and shadow).',
      labelNames: ['model', 'version'],
      aggregator: SAME_IN_EVERY_PROCESS,
      registers: [registry],
    });
    this.recommendation = new Gauge({
      name: 'mle_retraining_recommendation',
      help: 'The latest retraining recommendation (1 for the current one: OK, WATCH, RETRAIN or INSUFFICIENT_DATA).',
      labelNames: ['model', 'recommendation'],
      aggregator: SAME_IN_EVERY_PROCESS,
      registers: [registry],
    });
  }

  /** The version each model's evaluation gauges were last set for (replaced, never kept beside). */
  private readonly evaluatedVersion = new Map<string, string>();
  private readonly servedVersion = new Map<string, string>();
  private readonly estimatedVersions = new Map<string, string[]>();

  /**
   * Publishes a model's latest evaluation: accuracy, labelled count, the estimated accuracy of
   * each version it scored and the recommendation (1 = current).
   */
  evaluated(evaluation: Evaluation): void {
    const { model, version, accuracy, labelled, recommendation, estimated } =
      gaugeValues(evaluation);
    const previous = this.evaluatedVersion.get(model);
    if (previous !== undefined) {
      this.accuracy.remove({ model, version: previous });
      this.labelled.remove({ model, version: previous });
    }
    this.evaluatedVersion.set(model, version);
    if (accuracy !== undefined) this.accuracy.set({ model, version }, accuracy);
    this.labelled.set({ model, version }, labelled);
    for (const old of this.estimatedVersions.get(model) ?? []) {
      this.estimatedAccuracy.remove({ model, version: old });
    }
    this.estimatedVersions.set(
      model,
      estimated.map((e) => e.version),
    );
    for (const e of estimated)
      this.estimatedAccuracy.set({ model, version: e.version }, e.accuracy);
    for (const value of RECOMMENDATIONS) {
      this.recommendation.set({ model, recommendation: value }, value === recommendation ? 1 : 0);
    }
  }

  /** Marks `version` as the one `model` serves (and no other of that model). */
  serving(model: string, version: string): void {
    const previous = this.servedVersion.get(model);
    if (previous !== undefined) this.modelInfo.remove({ model, version: previous });
    this.servedVersion.set(model, version);
    this.modelInfo.set({ model, version }, 1);
  }
}
