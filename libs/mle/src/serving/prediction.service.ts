import { Injectable } from '@nestjs/common';
import { MleMetrics } from '../metrics/mle-metrics';
import { ModelNotLoadedError } from '../registry/registry.errors';
import { PredictBatch, PredictionAnswer } from './prediction-answer';

/** Runs validated instances through the served version of their model and shapes the answers. */
@Injectable()
export class PredictionService {
  constructor(private readonly metrics: MleMetrics) {}

  predict({ model: registered, instances }: PredictBatch, requestId: string): PredictionAnswer[] {
    // Take the served version once: a reload during this call does not mix versions.
    const served = registered.current;
    if (!served) throw new ModelNotLoadedError(registered.name);
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
