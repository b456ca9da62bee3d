import { estimateFromScores, realizedAccuracy, scoreBin } from './performance-estimation';

const identity = (p: number) => p;

/** Counts by bin from (prediction, probability) pairs. */
function bins(pairs: [boolean, number][]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const [prediction, probability] of pairs) {
    const bin = scoreBin(prediction, probability);
    counts.set(bin, (counts.get(bin) ?? 0) + 1);
  }
  return counts;
}

describe(estimateFromScores.name, () => {
  it('should expect the confusion matrix the calibrated probabilities imply', () => {
    // 100 positives predicted at 0.905 (bin 90): 90.5 expected right; 100 negatives at 0.205
    // (bin 20): 79.5 expected right.
    const counts = bins([
      ...Array.from({ length: 100 }, (): [boolean, number] => [true, 0.9]),
      ...Array.from({ length: 100 }, (): [boolean, number] => [false, 0.2]),
    ]);

    const estimate = estimateFromScores([counts], identity)!;

    expect(estimate.predictions).toBe(200);
    expect(estimate.accuracy.value).toBeCloseTo((90.5 + 79.5) / 200, 6);
    expect(estimate.precision.value).toBeCloseTo(0.905, 6);
    expect(estimate.recall.value).toBeCloseTo(90.5 / (90.5 + 20.5), 6);
    const se = Math.sqrt(100 * 0.905 * 0.095 + 100 * 0.205 * 0.795) / 200;
    expect(estimate.accuracy.standardError).toBeCloseTo(se, 6);
    expect(estimate.accuracy.low).toBeCloseTo(estimate.accuracy.value - 3 * se, 6);
  });

  it('should pass every probability through the calibration', () => {
    const counts = bins([[true, 0.9]]);

    const estimate = estimateFromScores([counts], () => 0.5)!;

    expect(estimate.accuracy.value).toBeCloseTo(0.5, 6);
  });

  it('should sum several days and answer null without predictions', () => {
    const day = bins([[false, 0.1]]);

    expect(estimateFromScores([day, day], identity)!.predictions).toBe(2);
    expect(estimateFromScores([], identity)).toBeNull();
  });
});

describe(realizedAccuracy.name, () => {
  it('should give the accuracy with its Wilson interval, or null without labels', () => {
    expect(realizedAccuracy(263, 81)).toMatchObject({ accuracy: 81 / 263 });
    expect(realizedAccuracy(263, 81)!.low).toBeCloseTo(0.2553, 3);
    expect(realizedAccuracy(0, 0)).toBeNull();
  });
});
