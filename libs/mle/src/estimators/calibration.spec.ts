import {
  applyCalibration,
  expectedCalibrationError,
  fitCalibration,
  fitIsotonic,
  fitPlatt,
} from './calibration';
import { sigmoid } from './logistic-regression';
import { seededRandom } from '../testing/seeded-random';

/** `rows` calibrated probabilities and labels drawn from them, reported through `distort`. */
function sample(
  rows: number,
  seed: number,
  distort: (p: number) => number = (p) => p,
): { probabilities: number[]; labels: boolean[] } {
  const random = seededRandom(seed);
  const probabilities: number[] = [];
  const labels: boolean[] = [];
  for (let i = 0; i < rows; i++) {
    const p = random();
    labels.push(random() < p);
    probabilities.push(distort(p));
  }
  return { probabilities, labels };
}

describe(expectedCalibrationError.name, () => {
  it('should weigh each bin’s gap between mean probability and positive rate by its rows', () => {
    // Bin 0: 0.05 vs 0 (a quarter of the rows); bin 1: 0.15 vs 0.5 (half); bin 9: 1 vs 1.
    const ece = expectedCalibrationError([0.05, 0.15, 0.15, 1], [false, true, false, true]);
    expect(ece).toBeCloseTo(0.25 * 0.05 + 0.5 * 0.35, 12);
  });

  it('should be 0 when every bin’s mean probability is its positive rate', () => {
    expect(expectedCalibrationError([0.5, 0.5, 0, 1], [true, false, false, true])).toBe(0);
  });
});

describe(fitIsotonic.name, () => {
  it('should pool adjacent violators into a non-decreasing step function', () => {
    const labels = [false, true, false, false, true, true];

    const calibration = fitIsotonic([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], labels);

    // Blocks {0.1} → 0, {0.2, 0.3, 0.4} → 1/3, {0.5, 0.6} → 1; steps halfway between blocks.
    expect(calibration.thresholds).toEqual([0.1, expect.closeTo(0.15, 12), 0.45]);
    expect(calibration.values[0]).toBe(1e-6);
    expect(calibration.values[1]).toBeCloseTo(1 / 3, 12);
    expect(calibration.values[2]).toBe(1 - 1e-6);
    // A step starts at its threshold: 0.45 already has the last value.
    const [low, middle, high] = calibration.values;
    expect([0.05, 0.14, 0.3, 0.44, 0.45, 0.9].map((p) => applyCalibration(calibration, p))).toEqual(
      [low, low, middle, middle, high, high],
    );
  });

  it('should give rows with the same probability the same value', () => {
    const calibration = fitIsotonic([0.8, 0.2, 0.2], [true, false, true]);

    expect(calibration.thresholds).toEqual([0.2, 0.5]);
    expect(calibration.values).toEqual([0.5, 1 - 1e-6]);
  });
});

describe(fitPlatt.name, () => {
  it('should recover the slope and intercept the labels were drawn with', () => {
    const random = seededRandom(7);
    const probabilities: number[] = [];
    const labels: boolean[] = [];
    for (let i = 0; i < 20_000; i++) {
      const z = -4 + 8 * random();
      probabilities.push(sigmoid(z));
      labels.push(random() < sigmoid(1.7 * z - 0.4));
    }

    const { a, b } = fitPlatt(probabilities, labels);

    expect(a).toBeCloseTo(1.7, 1);
    expect(b).toBeCloseTo(-0.4, 1);
  });

  it('should smooth the targets so that a single class gives (N + 1) / (N + 2), not 1', () => {
    const probabilities = [0.1, 0.3, 0.5, 0.7, 0.9, 0.2, 0.4, 0.6];

    const calibration = fitPlatt(
      probabilities,
      probabilities.map(() => true),
    );

    for (const p of [0.05, 0.5, 0.95]) expect(applyCalibration(calibration, p)).toBeCloseTo(0.9, 6);
  });
});

describe(fitCalibration.name, () => {
  it.each([
    ['isotonic', 5_000, 0.03],
    ['platt', 600, 0.05],
  ])('should keep a %s calibration that fixes cubed probabilities', (method, rows, fresh) => {
    const { probabilities, labels } = sample(rows, 11, (p) => p ** 3);

    const report = fitCalibration(probabilities, labels);

    expect(report.method).toBe(method);
    expect(report.rows).toBe(rows);
    expect(report.kept).toBe(true);
    expect(report.eceAfter).toBeLessThan(report.eceBefore / 2);
    // The calibration fitted on all rows also holds on rows it has never seen.
    const unseen = sample(20_000, 12, (p) => p ** 3);
    const calibrated = unseen.probabilities.map((p) => applyCalibration(report.calibration, p));
    expect(expectedCalibrationError(unseen.probabilities, unseen.labels)).toBeGreaterThan(0.2);
    expect(expectedCalibrationError(calibrated, unseen.labels)).toBeLessThan(fresh);
  });

  it('should not calibrate probabilities that are already calibrated', () => {
    // A fold's own label noise must not count in the calibration's favour (as it would if the
    // held-out predictions were pooled into one ECE): most samples are left as they are.
    const reports = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((seed) => {
      const { probabilities, labels } = sample(5_000, seed);
      return fitCalibration(probabilities, labels);
    });

    expect(reports.filter((report) => report.kept).length).toBeLessThan(5);
    for (const report of reports) {
      if (report.kept) expect(report.eceAfter).toBeLessThan(report.eceBefore);
      else expect(report.calibration).toBeUndefined();
    }
  });

  it('should not make calibrated probabilities worse when Platt scaling is kept', () => {
    const { probabilities, labels } = sample(5_000, 21);

    const report = fitCalibration(probabilities, labels, { minRowsForIsotonic: Infinity });

    expect(report.method).toBe('platt');
    const unseen = sample(20_000, 22);
    const calibrated = unseen.probabilities.map((p) => applyCalibration(report.calibration, p));
    expect(expectedCalibrationError(calibrated, unseen.labels)).toBeLessThan(
      expectedCalibrationError(unseen.probabilities, unseen.labels) + 0.01,
    );
  });

  it('should fit nothing on fewer than 50 rows', () => {
    const { probabilities, labels } = sample(49, 31, (p) => p ** 3);

    const report = fitCalibration(probabilities, labels);

    expect(report).toEqual({
      method: 'platt',
      eceBefore: expectedCalibrationError(probabilities, labels),
      eceAfter: report.eceBefore,
      rows: 49,
      kept: false,
    });
    expect(report.eceBefore).toBeGreaterThan(0);
  });

  it('should leave a probability as it is without a calibration', () => {
    expect(applyCalibration(undefined, 0.37)).toBe(0.37);
  });

  it('should refuse probabilities outside [0, 1] and fewer than 2 folds', () => {
    expect(() => fitCalibration([0.2, Number.NaN], [true, false])).toThrow(RangeError);
    expect(() => fitCalibration([0.2, 1.5], [true, false])).toThrow(RangeError);
    expect(() => fitCalibration([0.2], [true], { folds: 1 })).toThrow(RangeError);
  });
});
