import fixture from './fixtures/sklearn-logistic-regression.json';
import {
  fitLogisticRegression,
  log1pExp,
  logLoss,
  objectiveAndGradient,
  predictProbability,
  sigmoid,
  type TrainingSet,
} from './logistic-regression';
import { seededRandom } from '../testing/seeded-random';

function trainingSet(x: readonly (readonly number[])[], y: readonly number[]): TrainingSet {
  const cols = x[0]?.length ?? 0;
  return { x: Float64Array.from(x.flat()), rows: y.length, cols, y: Uint8Array.from(y) };
}

const logit = (p: number): number => Math.log(p / (1 - p));

function maxAbsDifference(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual).toHaveLength(expected.length);
  return Math.max(...Array.from(actual, (value, index) => Math.abs(value - expected[index])));
}

describe(sigmoid.name, () => {
  it.each([
    [1000, 1],
    [-1000, 0],
    [1e308, 1],
    [-1e308, 0],
    [Infinity, 1],
    [-Infinity, 0],
  ])('should return %p ↦ %p without overflow when |z| is huge', (z, expected) => {
    // Act
    const p = sigmoid(z);

    // Assert
    expect(p).toBe(expected);
  });

  it('should keep the tiny tail when z is so negative that e^−z overflows', () => {
    // Arrange: 1 / (1 + e^740) would give 0, the true value is a subnormal ≈ e^−740.
    const z = -740;

    // Act
    const p = sigmoid(z);

    // Assert
    expect(p).toBeGreaterThan(0);
    expect(p).toBe(Math.exp(z));
  });

  it('should satisfy σ(−z) = 1 − σ(z) when z is moderate', () => {
    // Arrange
    const zs = [-8, -1.5, -1e-3, 0, 0.25, 3, 12];

    // Act
    const gaps = zs.map((z) => sigmoid(-z) - (1 - sigmoid(z)));

    // Assert
    gaps.forEach((gap) => expect(Math.abs(gap)).toBeLessThan(1e-15));
  });
});

describe(log1pExp.name, () => {
  it('should keep relative precision when e^z is far below machine epsilon', () => {
    // Act: log(1 + e^−40) rounds to log(1) = 0 when computed naively.
    const value = log1pExp(-40);

    // Assert
    expect(Math.abs(value / Math.exp(-40) - 1)).toBeLessThan(1e-15);
  });

  it('should return z itself when z is huge', () => {
    // Act
    const values = [log1pExp(1000), log1pExp(1e308)];

    // Assert
    expect(values).toEqual([1000, 1e308]);
  });
});

describe(logLoss.name, () => {
  it.each([
    [1, 1000, 0],
    [0, 1000, 1000],
    [1, -1000, 1000],
    [0, -1000, 0],
    [1, 1e308, 0],
    [0, 1e308, 1e308],
    [1, -1e308, 1e308],
    [0, -1e308, 0],
    [1, Infinity, 0],
    [0, -Infinity, 0],
  ])('should return a finite exact loss when label is %p and logit is %p', (y, z, expected) => {
    // Act
    const loss = logLoss(y, z);

    // Assert
    expect(loss).toBe(expected);
  });

  it('should be infinite, not NaN, when an infinite logit contradicts the label', () => {
    // Act
    const losses = [logLoss(0, Infinity), logLoss(1, -Infinity)];

    // Assert
    expect(losses).toEqual([Infinity, Infinity]);
  });

  it('should equal −log σ(z) and −log(1 − σ(z)) when z is moderate', () => {
    // Arrange
    const z = 0.7;

    // Act
    const losses = [logLoss(1, z), logLoss(0, z)];

    // Assert
    expect(losses[0]).toBeCloseTo(-Math.log(1 / (1 + Math.exp(-z))), 14);
    expect(losses[1]).toBeCloseTo(-Math.log(1 - 1 / (1 + Math.exp(-z))), 14);
  });
});

describe(predictProbability.name, () => {
  it('should return σ(b + x·w) for the row starting at offset', () => {
    // Arrange: the second row of a 2 × 3 matrix.
    const weights = Float64Array.of(0.5, -1, 2);
    const x = Float64Array.of(9, 9, 9, 1, 2, 3);

    // Act
    const p = predictProbability(weights, -0.25, x, 3);

    // Assert: z = −0.25 + 0.5 − 2 + 6 = 4.25.
    expect(p).toBeCloseTo(1 / (1 + Math.exp(-4.25)), 15);
  });
});

describe(objectiveAndGradient.name, () => {
  it('should equal the summed log loss plus (l2/2)·‖w‖² when computed by hand', () => {
    // Arrange: margins ±ln 3 with matching labels, each costing log(1 + 1/3).
    const data = trainingSet([[1], [-1]], [1, 0]);

    // Act
    const { objective } = objectiveAndGradient(data, 2, 0, Float64Array.of(Math.log(3)));

    // Assert
    expect(objective).toBeCloseTo(2 * Math.log(4 / 3) + Math.log(3) ** 2, 14);
  });

  it('should match central finite differences when data and parameters are random', () => {
    // Arrange
    const random = seededRandom(7);
    const rows = 60;
    const cols = 6;
    const data: TrainingSet = {
      x: Float64Array.from({ length: rows * cols }, () => 4 * random() - 2),
      rows,
      cols,
      y: Uint8Array.from({ length: rows }, () => (random() < 0.4 ? 1 : 0)),
    };
    const l2 = 0.7;
    const theta = Float64Array.from({ length: cols + 1 }, () => 2 * random() - 1);
    const at = (point: Float64Array): number =>
      objectiveAndGradient(data, l2, point[0], point.subarray(1)).objective;
    const h = 1e-5;

    // Act
    const analytic = objectiveAndGradient(data, l2, theta[0], theta.subarray(1));
    const numeric = Array.from(theta, (_, k) => {
      const plus = theta.slice();
      const minus = theta.slice();
      plus[k] += h;
      minus[k] -= h;
      return (at(plus) - at(minus)) / (2 * h);
    });

    // Assert
    const gradient = [analytic.interceptGradient, ...analytic.weightGradient];
    const norm = (v: number[]): number => Math.hypot(...v);
    const relativeError =
      norm(gradient.map((g, k) => g - numeric[k])) / Math.max(norm(gradient), norm(numeric));
    expect(relativeError).toBeLessThan(1e-6);
  });
});

describe(fitLogisticRegression.name, () => {
  it('should return intercept logit(mean y) when there are no features', () => {
    // Arrange
    const data = trainingSet(
      Array.from({ length: 10 }, () => []),
      [1, 0, 0, 1, 0, 0, 0, 1, 0, 0],
    );

    // Act
    const fit = fitLogisticRegression(data, { l2: 1 });

    // Assert
    expect(fit.converged).toBe(true);
    expect(fit.weights).toHaveLength(0);
    expect(fit.intercept).toBeCloseTo(logit(0.3), 12);
  });

  it('should give zero weight and intercept logit(mean y) when the feature is uninformative', () => {
    // Arrange: y has the same distribution at x = 1 and x = −1, so by symmetry w = 0.
    const data = trainingSet([[1], [1], [1], [-1], [-1], [-1]], [1, 0, 0, 1, 0, 0]);

    // Act
    const fit = fitLogisticRegression(data, { l2: 0.1 });

    // Assert
    expect(fit.converged).toBe(true);
    expect(Math.abs(fit.weights[0])).toBeLessThan(1e-12);
    expect(fit.intercept).toBeCloseTo(-Math.log(2), 12);
  });

  it('should predict each group mean when one binary feature is fitted without penalty', () => {
    // Arrange: P(y | x = 0) = 1/4 and P(y | x = 1) = 2/3 is the saturated model's MLE.
    const data = trainingSet([[0], [0], [0], [0], [1], [1], [1]], [1, 0, 0, 0, 1, 1, 0]);

    // Act
    const fit = fitLogisticRegression(data, { l2: 0 });

    // Assert
    expect(fit.converged).toBe(true);
    expect(fit.intercept).toBeCloseTo(logit(1 / 4), 10);
    expect(fit.weights[0]).toBeCloseTo(logit(2 / 3) - logit(1 / 4), 10);
  });

  it('should converge to finite weights when the data are separable and l2 > 0', () => {
    // Arrange: x < 0 ⇔ y = 0, so without a penalty w would grow without bound.
    const data = trainingSet([[-3], [-2], [-1], [1], [2], [3]], [0, 0, 0, 1, 1, 1]);

    // Act
    const fit = fitLogisticRegression(data, { l2: 0.01 });

    // Assert
    expect(fit.converged).toBe(true);
    expect(Number.isFinite(fit.intercept)).toBe(true);
    expect(Number.isFinite(fit.weights[0])).toBe(true);
    expect(fit.weights[0]).toBeGreaterThan(1);
    expect(fit.gradientNorm).toBeLessThan(1e-8);
  });

  it('should report not converged when maxIterations runs out first', () => {
    // Arrange
    const data = trainingSet(fixture.x, fixture.y);

    // Act
    const fit = fitLogisticRegression(data, { l2: 0.5, maxIterations: 1 });

    // Assert
    expect(fit.iterations).toBe(1);
    expect(fit.converged).toBe(false);
  });

  it('should throw when every label is the same', () => {
    // Arrange: the unpenalised intercept would have to be infinite.
    const data = trainingSet([[1], [2]], [1, 1]);

    // Act
    const fit = () => fitLogisticRegression(data, { l2: 1 });

    // Assert
    expect(fit).toThrow('both classes');
  });

  it.each(fixture.fits.map((reference) => [reference.l2, reference] as const))(
    "should match scikit-learn's coefficients when l2 is %p",
    (l2, reference) => {
      // Arrange
      const data = trainingSet(fixture.x, fixture.y);

      // Act
      const fit = fitLogisticRegression(data, { l2 });

      // Assert: the reference itself is good to ~1e-10 (newtonCholeskyMaxAbsDifference).
      expect(fit.converged).toBe(true);
      expect(Math.abs(fit.intercept - reference.intercept)).toBeLessThan(1e-8);
      expect(maxAbsDifference(fit.weights, reference.coefficients)).toBeLessThan(1e-8);
    },
  );
});
