import { binaryMetrics, wilsonInterval } from './binary-metrics';

const pairs = (spec: [boolean, boolean, number][]) =>
  spec.flatMap(([predicted, actual, n]) =>
    Array.from({ length: n }, () => ({ predicted, actual })),
  );

describe(binaryMetrics.name, () => {
  it('should compute every metric from a hand-counted confusion matrix', () => {
    // tp 40, fp 10, tn 30, fn 20 (100 rows, 60 actual positives).
    const metrics = binaryMetrics(
      pairs([
        [true, true, 40],
        [true, false, 10],
        [false, false, 30],
        [false, true, 20],
      ]),
    );
    expect(metrics.confusion).toEqual({
      truePositive: 40,
      falsePositive: 10,
      trueNegative: 30,
      falseNegative: 20,
    });
    expect(metrics.count).toBe(100);
    expect(metrics.accuracy).toBeCloseTo(0.7, 12);
    expect(metrics.precision).toBeCloseTo(0.8, 12);
    expect(metrics.recall).toBeCloseTo(40 / 60, 12);
    expect(metrics.f1).toBeCloseTo((2 * 0.8 * (40 / 60)) / (0.8 + 40 / 60), 12);
    expect(metrics.majorityClassAccuracy).toBeCloseTo(0.6, 12);
  });

  it('should report zeros rather than NaN when nothing is predicted positive', () => {
    const metrics = binaryMetrics(pairs([[false, false, 5]]));
    expect(metrics).toMatchObject({ accuracy: 1, precision: 0, recall: 0, f1: 0 });
    expect(binaryMetrics([])).toMatchObject({ count: 0, accuracy: 0, accuracyInterval: [0, 0] });
  });
});

describe(wilsonInterval.name, () => {
  it('should match the textbook values', () => {
    // 70 of 100 at 95%: [0.60415, 0.78105] (Wilson 1927; Newcombe 1998, method 3).
    const [low, high] = wilsonInterval(70, 100);
    expect(low).toBeCloseTo(0.60415, 4);
    expect(high).toBeCloseTo(0.78105, 4);
  });

  it('should stay inside [0, 1] at the extremes', () => {
    const [low, high] = wilsonInterval(10, 10);
    expect(high).toBe(1);
    expect(low).toBeCloseTo(0.7225, 4);
    expect(wilsonInterval(0, 10)[0]).toBe(0);
  });
});
