import { log1pExp, sigmoid } from './logistic-regression';

/**
 * A monotone step function: `values[i]` from `thresholds[i]` (inclusive) up to the next
 * threshold; below `thresholds[0]`, `values[0]`. Both ascend, one value per threshold.
 */
export interface IsotonicCalibration {
  method: 'isotonic';
  thresholds: number[];
  values: number[];
}

/** Platt scaling: q = σ(a·logit(p) + b); a = 1, b = 0 leaves p as it is. */
export interface PlattCalibration {
  method: 'platt';
  a: number;
  b: number;
}

/** A map from a model's raw probability to a calibrated one, as kept in the manifest. */
export type Calibration = IsotonicCalibration | PlattCalibration;
export type CalibrationMethod = Calibration['method'];

/** How a calibration was chosen; `calibration` is present only when `kept`. */
export interface CalibrationReport {
  method: CalibrationMethod;
  /**
   * Expected calibration error of the raw probabilities, the mean over the folds of the
   * cross-validation (below {@link MIN_CALIBRATION_ROWS} rows, of all rows at once).
   */
  eceBefore: number;
  /** The same of the calibrated probabilities, each fold calibrated by a fit on the others. */
  eceAfter: number;
  rows: number;
  /** Whether the calibration lowered the error (`eceAfter < eceBefore`). */
  kept: boolean;
  calibration?: Calibration;
}

export interface CalibrationOptions {
  /** Folds of the cross-validation that measures both errors; 5 by default. */
  folds?: number;
  /** Isotonic regression from this many rows on, Platt scaling below; 1000 by default. */
  minRowsForIsotonic?: number;
}

// Calibrated probabilities stay off 0 and 1: a log loss or a logit of them stays finite.
const EPSILON = 1e-6;
/** Below this many rows a calibration is neither fitted nor trusted. */
export const MIN_CALIBRATION_ROWS = 50;
const DEFAULT_FOLDS = 5;
const DEFAULT_MIN_ROWS_FOR_ISOTONIC = 1000;
const ARMIJO = 1e-4;
const MAX_NEWTON_ITERATIONS = 100;
const MAX_HALVINGS = 60;

function clamp(p: number): number {
  return Math.min(1 - EPSILON, Math.max(EPSILON, p));
}

function logit(p: number): number {
  const q = clamp(p);
  return Math.log(q / (1 - q));
}

/**
 * Σ over equal-width bins of [0, 1] of (rows in the bin / rows) × |mean probability − positive
 * rate|; 0 for no rows. A probability of exactly 1 falls in the last bin.
 */
export function expectedCalibrationError(
  probabilities: readonly number[],
  labels: readonly boolean[],
  bins = 10,
): number {
  assertRows(probabilities, labels);
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError('bins must be a positive integer');
  const count = new Float64Array(bins);
  const sumP = new Float64Array(bins);
  const positives = new Float64Array(bins);
  for (let i = 0; i < probabilities.length; i++) {
    const bin = Math.min(bins - 1, Math.max(0, Math.floor(probabilities[i] * bins)));
    count[bin] += 1;
    sumP[bin] += probabilities[i];
    if (labels[i]) positives[bin] += 1;
  }
  let error = 0;
  for (let bin = 0; bin < bins; bin++) error += Math.abs(sumP[bin] - positives[bin]);
  return probabilities.length === 0 ? 0 : error / probabilities.length;
}

/**
 * Isotonic regression by pool-adjacent-violators: the non-decreasing step function of p closest
 * to the labels in squared error. Equal probabilities are pooled first, so they always share a
 * value; a step starts halfway between the last p of one block and the first of the next.
 */
export function fitIsotonic(
  probabilities: readonly number[],
  labels: readonly boolean[],
): IsotonicCalibration {
  assertRows(probabilities, labels);
  if (probabilities.length === 0) throw new RangeError('isotonic regression needs rows');
  const order = Array.from(probabilities.keys()).sort(
    (i, j) => probabilities[i] - probabilities[j],
  );
  // A stack of blocks, each with its first and last p, weight and label sum.
  const first: number[] = [];
  const last: number[] = [];
  const weight: number[] = [];
  const sum: number[] = [];
  for (const i of order) {
    const p = probabilities[i];
    const y = labels[i] ? 1 : 0;
    const top = first.length - 1;
    if (top >= 0 && last[top] === p) {
      weight[top] += 1;
      sum[top] += y;
    } else {
      first.push(p);
      last.push(p);
      weight.push(1);
      sum.push(y);
    }
    // Pool while the block below is not strictly lower: the values end strictly increasing.
    while (first.length > 1) {
      const k = first.length - 1;
      if (sum[k - 1] / weight[k - 1] < sum[k] / weight[k]) break;
      last[k - 1] = last[k];
      weight[k - 1] += weight[k];
      sum[k - 1] += sum[k];
      first.pop();
      last.pop();
      weight.pop();
      sum.pop();
    }
  }
  return {
    method: 'isotonic',
    thresholds: first.map((p, k) => (k === 0 ? p : (last[k - 1] + p) / 2)),
    values: sum.map((s, k) => clamp(s / weight[k])),
  };
}

/**
 * Platt scaling: the logistic regression of the label on logit(p), fitted by Newton's method
 * with a backtracking line search. Targets are smoothed as Platt proposed, (N₊ + 1)/(N₊ + 2) for
 * a positive and 1/(N₋ + 2) for a negative, which keeps a and b finite even on separable rows.
 */
export function fitPlatt(
  probabilities: readonly number[],
  labels: readonly boolean[],
): PlattCalibration {
  assertRows(probabilities, labels);
  const n = probabilities.length;
  if (n === 0) throw new RangeError('Platt scaling needs rows');
  let positives = 0;
  for (const label of labels) if (label) positives += 1;
  const high = (positives + 1) / (positives + 2);
  const low = 1 / (n - positives + 2);
  const f = probabilities.map(logit);
  const t = labels.map((label) => (label ? high : low));
  const loss = (a: number, b: number): number => {
    let total = 0;
    for (let i = 0; i < n; i++) {
      const z = a * f[i] + b;
      total += t[i] * log1pExp(-z) + (1 - t[i]) * log1pExp(z);
    }
    return total;
  };

  let a = 1;
  let b = 0;
  let objective = loss(a, b);
  for (let iteration = 0; iteration < MAX_NEWTON_ITERATIONS; iteration++) {
    let ga = 0;
    let gb = 0;
    let haa = 0;
    let hab = 0;
    let hbb = 0;
    for (let i = 0; i < n; i++) {
      const z = a * f[i] + b;
      const q = sigmoid(z);
      const residual = q - t[i];
      // q·σ(−z) rather than q·(1 − q): it does not round to 0 for large z.
      const curvature = q * sigmoid(-z);
      ga += residual * f[i];
      gb += residual;
      haa += curvature * f[i] * f[i];
      hab += curvature * f[i];
      hbb += curvature;
    }
    if (Math.max(Math.abs(ga), Math.abs(gb)) / n < 1e-10) break;
    // A tiny ridge keeps the 2 × 2 system solvable when every logit(p) is the same.
    const ridge = 1e-12 * Math.max(1, haa, hbb);
    haa += ridge;
    hbb += ridge;
    const determinant = haa * hbb - hab * hab;
    const da = (hbb * ga - hab * gb) / determinant;
    const db = (haa * gb - hab * ga) / determinant;
    const slope = ga * da + gb * db;
    let step = 1;
    let accepted = false;
    for (let halvings = 0; halvings < MAX_HALVINGS; halvings++, step /= 2) {
      const trial = loss(a - step * da, b - step * db);
      if (trial <= objective - ARMIJO * step * slope) {
        accepted = objective - trial > 1e-15 * Math.abs(trial);
        a -= step * da;
        b -= step * db;
        objective = trial;
        break;
      }
    }
    if (!accepted) break;
  }
  return { method: 'platt', a, b };
}

/** The calibrated probability of a raw one; without a calibration, the raw one. */
export function applyCalibration(calibration: Calibration | undefined, p: number): number {
  if (!calibration) return p;
  switch (calibration.method) {
    case 'platt':
      return sigmoid(calibration.a * logit(p) + calibration.b);
    case 'isotonic': {
      const { thresholds, values } = calibration;
      // The last threshold ≤ p, by binary search; values[0] below the first.
      let lowest = 0;
      let highest = thresholds.length - 1;
      while (lowest < highest) {
        const middle = (lowest + highest + 1) >> 1;
        if (thresholds[middle] <= p) lowest = middle;
        else highest = middle - 1;
      }
      return values[lowest];
    }
  }
}

/**
 * Fits a calibration of `probabilities` to `labels` (rows the model was not fitted on): isotonic
 * regression from `minRowsForIsotonic` rows on, Platt scaling below. The errors before and after
 * are measured by k-fold cross-validation (row i in fold i mod k; each fold calibrated by a fit
 * on the others); the calibration is fitted on every row and kept only when it lowers the
 * error. Below {@link MIN_CALIBRATION_ROWS} rows nothing is fitted.
 */
export function fitCalibration(
  probabilities: readonly number[],
  labels: readonly boolean[],
  options: CalibrationOptions = {},
): CalibrationReport {
  assertRows(probabilities, labels);
  for (const p of probabilities) {
    if (!(p >= 0 && p <= 1)) throw new RangeError('probabilities must lie in [0, 1]');
  }
  const folds = options.folds ?? DEFAULT_FOLDS;
  if (!Number.isInteger(folds) || folds < 2) {
    throw new RangeError('folds must be an integer of at least 2');
  }
  const rows = probabilities.length;
  const method: CalibrationMethod =
    rows >= (options.minRowsForIsotonic ?? DEFAULT_MIN_ROWS_FOR_ISOTONIC) ? 'isotonic' : 'platt';
  const fit = method === 'isotonic' ? fitIsotonic : fitPlatt;
  if (rows < MIN_CALIBRATION_ROWS) {
    const eceBefore = expectedCalibrationError(probabilities, labels);
    return { method, eceBefore, eceAfter: eceBefore, rows, kept: false };
  }

  // Each fold is scored on its own rows, raw and calibrated, and the scores averaged. Pooling
  // the held-out predictions into one ECE would not be fair: the fits on the other folds follow
  // the label noise that the raw ECE of the pooled rows measures, so the pooled error cancels it
  // and favours a calibration even of probabilities that are already calibrated.
  let before = 0;
  let after = 0;
  for (let fold = 0; fold < folds; fold++) {
    const fitted = fit(
      probabilities.filter((_, i) => i % folds !== fold),
      labels.filter((_, i) => i % folds !== fold),
    );
    const heldOut = probabilities.filter((_, i) => i % folds === fold);
    const heldOutLabels = labels.filter((_, i) => i % folds === fold);
    before += expectedCalibrationError(heldOut, heldOutLabels);
    after += expectedCalibrationError(
      heldOut.map((p) => applyCalibration(fitted, p)),
      heldOutLabels,
    );
  }
  const eceBefore = before / folds;
  const eceAfter = after / folds;
  const kept = eceAfter < eceBefore;
  return kept
    ? { method, eceBefore, eceAfter, rows, kept, calibration: fit(probabilities, labels) }
    : { method, eceBefore, eceAfter, rows, kept };
}

function assertRows(probabilities: readonly number[], labels: readonly boolean[]): void {
  if (probabilities.length !== labels.length) {
    throw new RangeError('probabilities and labels must have one value per row');
  }
}
