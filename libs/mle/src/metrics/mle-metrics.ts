import { Injectable } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { MetricsRegistry } from './metrics.registry';

/** The kit's Prometheus metrics (base units, `_total` counters, low-cardinality labels). */
@Injectable()
export class MleMetrics {
  readonly predictions: Counter<'model' | 'version' | 'class'>;
  readonly predictionLogWriteErrors: Counter;
  readonly modelInfo: Gauge<'model' | 'version'>;

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
    this.modelInfo = new Gauge({
      name: 'mle_model_info',
      help: 'The model version being served (value 1).',
      labelNames: ['model', 'version'],
      registers: [registry],
    });
  }

  /** Marks `version` as the one served (and no other). */
  serving(model: string, version: string): void {
    this.modelInfo.reset();
    this.modelInfo.set({ model, version }, 1);
  }
}
