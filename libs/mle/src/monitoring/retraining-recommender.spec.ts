import { binaryMetrics } from '../metrics/binary-metrics';
import { recommend } from './retraining-recommender';

/** Metrics of `n` labelled predictions of which `correct` are right (balanced classes). */
function metrics(correct: number, n: number) {
  const pairs = Array.from({ length: n }, (_, i) => {
    const actual = i % 2 === 0;
    return { actual, predicted: i < correct ? actual : !actual };
  });
  return binaryMetrics(pairs);
}

const base = { version: 'v1', threshold: 0.7, minLabelled: 200, driftedFeatures: [] };

describe(recommend.name, () => {
  it('should say OK when accuracy is exactly at the threshold', () => {
    const result = recommend({ ...base, metrics: metrics(140, 200) });
    expect(result.recommendation).toBe('OK');
    expect(result.reasons[0]).toMatch(
      /accuracy 70\.0% .* on 200 labelled predictions meets the threshold 70\.0%/,
    );
  });

  it('should say RETRAIN when accuracy is just below the threshold', () => {
    const result = recommend({ ...base, metrics: metrics(139, 200) });
    expect(result.recommendation).toBe('RETRAIN');
    expect(result.reasons[0]).toMatch(/69\.5% .*is below the threshold 70\.0%/);
  });

  it('should say INSUFFICIENT_DATA on 199 labels and decide on 200', () => {
    expect(recommend({ ...base, metrics: metrics(50, 199) }).recommendation).toBe(
      'INSUFFICIENT_DATA',
    );
    expect(recommend({ ...base, metrics: metrics(50, 200) }).recommendation).toBe('RETRAIN');
  });

  it('should say INSUFFICIENT_DATA without a version or without metrics', () => {
    expect(recommend({ ...base, version: undefined, metrics: undefined })).toEqual({
      recommendation: 'INSUFFICIENT_DATA',
      reasons: ['no model version has predictions in the window'],
    });
    expect(recommend({ ...base, metrics: undefined }).reasons[0]).toMatch(
      /only 0 labelled predictions of version v1/,
    );
  });

  it('should say WATCH, never RETRAIN, when a feature drifts and the accuracy is fine', () => {
    const result = recommend({
      ...base,
      metrics: metrics(190, 200),
      driftedFeatures: ['unit_price'],
    });
    expect(result.recommendation).toBe('WATCH');
    expect(result.reasons).toContain('significant drift in unit_price');
  });

  it('should keep RETRAIN when the labels say so, whatever the estimate and the drift', () => {
    const result = recommend({
      ...base,
      metrics: metrics(100, 200),
      driftedFeatures: ['unit_price'],
      unlabelledEstimate: { accuracy: 0.9, low: 0.88, high: 0.92, predictions: 500, days: 30 },
    });
    expect(result.recommendation).toBe('RETRAIN');
  });

  it('should say WATCH when the whole band of the estimate for the unlabelled days is below the threshold', () => {
    const below = { accuracy: 0.6, low: 0.55, high: 0.69, predictions: 900, days: 30 };
    const straddling = { ...below, high: 0.71 };

    const labelsFine = recommend({
      ...base,
      metrics: metrics(180, 200),
      unlabelledEstimate: below,
    });
    const noLabels = recommend({ ...base, metrics: undefined, unlabelledEstimate: below });
    const unsure = recommend({
      ...base,
      metrics: metrics(180, 200),
      unlabelledEstimate: straddling,
    });

    expect(labelsFine.recommendation).toBe('WATCH');
    expect(labelsFine.reasons).toContain(
      'estimated accuracy 60.0% (±3 SE 55.0%–69.0%) on 900 predictions of the 30 days without labels is below the threshold 70.0%',
    );
    expect(noLabels.recommendation).toBe('WATCH');
    expect(unsure.recommendation).toBe('OK');
  });

  it('should warn when the model does no better than the majority class', () => {
    const allTrue = binaryMetrics(
      Array.from({ length: 300 }, (_, i) => ({ actual: i < 240, predicted: true })),
    );
    const result = recommend({ ...base, metrics: allTrue });
    expect(result.recommendation).toBe('OK');
    expect(result.reasons[1]).toMatch(/majority class would score 80\.0%/);
  });
});
