/** Training data: a row-major design matrix (without an intercept column) and 0/1 labels. */
export interface TrainingSet {
  /** rows × cols values, row-major: value (r, c) is at `x[r * cols + c]`. */
  readonly x: Float64Array;
  readonly rows: number;
  readonly cols: number;
  /** One label per row, 0 or 1. */
  readonly y: Uint8Array;
}

export interface LogisticRegressionOptions {
  /** L2 penalty on the weights (never the intercept); scikit-learn's `C` is `1 / l2`. */
  readonly l2: number;
  /** Stop when max |∂f/∂θ| / rows falls below this (the gradient of the mean loss). */
  readonly gradientTolerance?: number;
  /** Stop when a step changes the objective by less than this fraction of it. */
  readonly objectiveTolerance?: number;
  readonly maxIterations?: number;
}

export interface LogisticRegressionFit {
  readonly intercept: number;
  readonly weights: Float64Array;
  /** The minimised objective, `Σ logLoss + (l2/2)·‖w‖²`. */
  readonly objective: number;
  /** max |∂f/∂θ| / rows at the returned parameters. */
  readonly gradientNorm: number;
  /** Newton steps taken. */
  readonly iterations: number;
  readonly converged: boolean;
}

export interface ObjectiveAndGradient {
  readonly objective: number;
  readonly interceptGradient: number;
  readonly weightGradient: Float64Array;
}

const DEFAULTS = { gradientTolerance: 1e-8, objectiveTolerance: 1e-14, maxIterations: 100 };
// Armijo's sufficient-decrease constant and how often a step may be halved before giving up.
const ARMIJO = 1e-4;
const MAX_HALVINGS = 60;

/** σ(z) = 1 / (1 + e^−z), evaluated so that e^x only ever sees x ≤ 0 and cannot overflow. */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** log(1 + e^z) without overflow: for z > 0 it is z + log(1 + e^−z). */
export function log1pExp(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

/**
 * −log p(label | logit) for a 0/1 label and logit z = b + x·w:
 * log(1 + e^−z) when the label is 1 and log(1 + e^z) when it is 0.
 */
export function logLoss(label: number, logit: number): number {
  return label === 0 ? log1pExp(logit) : log1pExp(-logit);
}

/** σ(b + x·w) for the row of `x` starting at `offset`; allocation-free. */
export function predictProbability(
  weights: Float64Array,
  intercept: number,
  x: Float64Array,
  offset = 0,
): number {
  let z = intercept;
  for (let k = 0; k < weights.length; k++) z += weights[k] * x[offset + k];
  return sigmoid(z);
}

/** The objective `Σ logLoss(yᵢ, b + xᵢ·w) + (l2/2)·‖w‖²` and its gradient in (b, w). */
export function objectiveAndGradient(
  data: TrainingSet,
  l2: number,
  intercept: number,
  weights: Float64Array,
): ObjectiveAndGradient {
  assertTrainingSet(data);
  if (weights.length !== data.cols) throw new RangeError('weights must have one value per column');
  const theta = new Float64Array(data.cols + 1);
  theta[0] = intercept;
  theta.set(weights, 1);
  const gradient = new Float64Array(data.cols + 1);
  const objective = evaluate(data, l2, theta, gradient, null, null);
  return { objective, interceptGradient: gradient[0], weightGradient: gradient.subarray(1) };
}

/**
 * Minimises `Σ logLoss(yᵢ, b + xᵢ·w) + (l2/2)·‖w‖²` by Newton's method (IRLS): each step solves
 * H·δ = ∇f by Cholesky, H = X̃ᵀ·diag(pᵢ(1−pᵢ))·X̃ + l2·I (no penalty on b), then halves δ until
 * the objective decreases enough (Armijo), so every step descends.
 */
export function fitLogisticRegression(
  data: TrainingSet,
  options: LogisticRegressionOptions,
): LogisticRegressionFit {
  assertTrainingSet(data);
  const { l2 } = options;
  if (!(l2 >= 0 && Number.isFinite(l2))) throw new RangeError('l2 must be a finite number ≥ 0');
  const gradientTolerance = options.gradientTolerance ?? DEFAULTS.gradientTolerance;
  const objectiveTolerance = options.objectiveTolerance ?? DEFAULTS.objectiveTolerance;
  const maxIterations = options.maxIterations ?? DEFAULTS.maxIterations;
  const { x, y, rows, cols } = data;

  let positives = 0;
  for (let i = 0; i < rows; i++) positives += y[i];
  // With a single class the unpenalised intercept runs off to ±∞: there is no minimum.
  if (positives === 0 || positives === rows) {
    throw new RangeError('labels must contain both classes');
  }

  const n = cols + 1;
  const theta = new Float64Array(n);
  // Start at the intercept-only solution, b = logit(mean y).
  theta[0] = Math.log(positives / (rows - positives));
  const gradient = new Float64Array(n);
  const hessian = new Float64Array(n * n);
  const factor = new Float64Array(n * n);
  const step = new Float64Array(n);
  const margins = new Float64Array(rows);
  const stepMargins = new Float64Array(rows);
  const row = new Float64Array(n);

  let iterations = 0;
  let converged = false;
  let stalled = false;
  let objective: number;
  let gradientNorm: number;
  for (;;) {
    objective = evaluate(data, l2, theta, gradient, hessian, margins, row);
    gradientNorm = maxAbs(gradient) / rows;
    if (gradientNorm < gradientTolerance || stalled) {
      converged = true;
      break;
    }
    if (iterations >= maxIterations) break;

    solveNewtonStep(hessian, factor, gradient, step, n);
    // Margins move linearly along the step: zᵢ(t) = zᵢ − t·(x̃ᵢ·δ), so each trial costs O(rows).
    for (let i = 0, base = 0; i < rows; i++, base += cols) {
      let u = step[0];
      for (let k = 0; k < cols; k++) u += step[k + 1] * x[base + k];
      stepMargins[i] = u;
    }
    let slope = 0;
    for (let k = 0; k < n; k++) slope += gradient[k] * step[k];

    let t = 1;
    let accepted = false;
    let trial = objective;
    for (let halvings = 0; halvings < MAX_HALVINGS; halvings++, t /= 2) {
      trial = objectiveAlong(data, l2, theta, step, margins, stepMargins, t);
      // A NaN trial compares false and is halved like any other rejected step.
      if (trial <= objective - ARMIJO * t * slope) {
        accepted = true;
        break;
      }
    }
    if (!accepted) break;
    for (let k = 0; k < n; k++) theta[k] -= t * step[k];
    iterations++;
    // Only a full Newton step this small means the optimum (a halved one may just be a short
    // step); the loop re-evaluates once more so the reported gradient is the current one.
    stalled = t === 1 && objective - trial <= objectiveTolerance * Math.abs(trial);
  }

  return {
    intercept: theta[0],
    weights: theta.slice(1),
    objective,
    gradientNorm,
    iterations,
    converged,
  };
}

/**
 * One pass over the data at θ = (b, w): returns the objective, writes its gradient and, when
 * asked, the lower triangle of its Hessian and the margins zᵢ = b + xᵢ·w.
 */
function evaluate(
  data: TrainingSet,
  l2: number,
  theta: Float64Array,
  gradient: Float64Array,
  hessian: Float64Array | null,
  margins: Float64Array | null,
  row: Float64Array = new Float64Array(data.cols + 1),
): number {
  const { x, y, rows, cols } = data;
  const n = cols + 1;
  gradient.fill(0);
  hessian?.fill(0);
  let loss = 0;
  row[0] = 1;
  for (let i = 0, base = 0; i < rows; i++, base += cols) {
    let z = theta[0];
    for (let k = 0; k < cols; k++) {
      const value = x[base + k];
      row[k + 1] = value;
      z += theta[k + 1] * value;
    }
    if (margins) margins[i] = z;
    loss += logLoss(y[i], z);
    const p = sigmoid(z);
    const residual = p - y[i];
    for (let k = 0; k < n; k++) gradient[k] += residual * row[k];
    if (hessian) {
      // p·σ(−z) rather than p·(1 − p): 1 − p rounds to 0 for z ≳ 37, which would zero the curvature.
      const curvature = p * sigmoid(-z);
      // Symmetric, so only the lower triangle (j ≤ a) is accumulated: half the work.
      for (let a = 0; a < n; a++) {
        const scaled = curvature * row[a];
        const offset = a * n;
        for (let j = 0; j <= a; j++) hessian[offset + j] += scaled * row[j];
      }
    }
  }
  let penalty = 0;
  for (let k = 1; k < n; k++) {
    penalty += theta[k] * theta[k];
    gradient[k] += l2 * theta[k];
    if (hessian) hessian[k * n + k] += l2;
  }
  return loss + (l2 / 2) * penalty;
}

/** The objective at θ − t·δ, from the margins at θ and the per-row step x̃ᵢ·δ. */
function objectiveAlong(
  data: TrainingSet,
  l2: number,
  theta: Float64Array,
  step: Float64Array,
  margins: Float64Array,
  stepMargins: Float64Array,
  t: number,
): number {
  let loss = 0;
  for (let i = 0; i < data.rows; i++) loss += logLoss(data.y[i], margins[i] - t * stepMargins[i]);
  let penalty = 0;
  for (let k = 1; k < theta.length; k++) {
    const w = theta[k] - t * step[k];
    penalty += w * w;
  }
  return loss + (l2 / 2) * penalty;
}

/**
 * Solves H·δ = g. When H is numerically singular (e.g. separable data saturates every pᵢ, or
 * l2 = 0 with a constant column), a growing jitter ε·I is added: δ stays a descent direction.
 */
function solveNewtonStep(
  hessian: Float64Array,
  factor: Float64Array,
  gradient: Float64Array,
  step: Float64Array,
  n: number,
): void {
  let maxDiagonal = 0;
  for (let k = 0; k < n; k++) maxDiagonal = Math.max(maxDiagonal, hessian[k * n + k]);
  const scale = maxDiagonal > 0 ? maxDiagonal : 1;
  for (let jitter = 0; jitter <= scale; jitter = jitter === 0 ? scale * 1e-12 : jitter * 100) {
    factor.set(hessian);
    for (let k = 0; k < n; k++) factor[k * n + k] += jitter;
    if (choleskySolve(factor, n, gradient, step, scale * 1e-15)) return;
  }
  // H is not even close to positive definite (non-finite data): fall back to gradient descent.
  for (let k = 0; k < n; k++) step[k] = gradient[k] / scale;
}

/**
 * Solves A·x = b for symmetric positive-definite A (lower triangle read) by A = L·Lᵀ, overwriting
 * `a` with L. Returns false when a pivot is not above `minPivot`.
 */
function choleskySolve(
  a: Float64Array,
  n: number,
  b: Float64Array,
  x: Float64Array,
  minPivot: number,
): boolean {
  for (let j = 0; j < n; j++) {
    const rowJ = j * n;
    let pivot = a[rowJ + j];
    for (let k = 0; k < j; k++) pivot -= a[rowJ + k] * a[rowJ + k];
    // Also false for NaN.
    if (!(pivot > minPivot)) return false;
    const diagonal = Math.sqrt(pivot);
    a[rowJ + j] = diagonal;
    for (let i = j + 1; i < n; i++) {
      const rowI = i * n;
      let sum = a[rowI + j];
      for (let k = 0; k < j; k++) sum -= a[rowI + k] * a[rowJ + k];
      a[rowI + j] = sum / diagonal;
    }
  }
  // L·u = b, then Lᵀ·x = u.
  for (let i = 0; i < n; i++) {
    let sum = b[i];
    for (let k = 0; k < i; k++) sum -= a[i * n + k] * x[k];
    x[i] = sum / a[i * n + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let sum = x[i];
    for (let k = i + 1; k < n; k++) sum -= a[k * n + i] * x[k];
    x[i] = sum / a[i * n + i];
  }
  return true;
}

function maxAbs(values: Float64Array): number {
  let max = 0;
  for (const value of values) max = Math.max(max, Math.abs(value));
  return max;
}

function assertTrainingSet({ x, y, rows, cols }: TrainingSet): void {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 0) {
    throw new RangeError('rows must be a positive integer and cols a non-negative integer');
  }
  if (x.length !== rows * cols) throw new RangeError('x must hold rows × cols values');
  if (y.length !== rows) throw new RangeError('y must hold one label per row');
  for (let i = 0; i < y.length; i++) if (y[i] > 1) throw new RangeError('labels must be 0 or 1');
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) throw new RangeError('x must be finite');
  }
}
