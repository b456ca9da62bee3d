import { Injectable } from '@nestjs/common';
import { MleMetrics } from '../metrics/mle-metrics';
import { ModelRegistry } from '../registry/model.registry';
import { PredictInstance, PredictionAnswer } from './prediction-answer';

/** No model version is loaded: the API answers 503 until one is. */
export class ModelNotLoadedError extends Error {
  override name = 'ModelNotLoadedError';
}

/** Runs validated instances through the served model and shapes the answers. */
@Injectable()
export class PredictionService {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly metrics: MleMetrics,
  ) {}

  predict(instances: readonly PredictInstance[], requestId: string): PredictionAnswer[] {
    // Take the served model once: a reload during this call does not mix versions.
    const served = this.registry.current;
    if (!served) {
      throw new ModelNotLoadedError(
        `no version of ${this.registry.name} is loaded. Train one (npm run train), then POST /model/reload.`,
      );
    }
    const { model } = served;
    const results = model.predict(instances.map((instance) => instance.features));
    let positives = 0;
    const answers = instances.map((instance, i) => {
      const { prediction, probability } = results[i];
      if (prediction) positives += 1;
      return {
        id: instance.id,
        prediction,
        probability,
        model: model.name,
        modelVersion: model.version,
        requestId,
      };
    });
    // Two increments per request rather than one per instance: labels are hashed on every call.
    const labels = { model: model.name, version: model.version };
    if (positives > 0) this.metrics.predictions.inc({ ...labels, class: 'true' }, positives);
    if (positives < answers.length) {
      this.metrics.predictions.inc({ ...labels, class: 'false' }, answers.length - positives);
    }
    return answers;
  }
}
