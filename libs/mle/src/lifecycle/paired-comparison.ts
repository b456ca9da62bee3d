// Two binary classifiers scored on the same labelled rows: each one's accuracy, the difference
// between them and whether that difference is more than chance. Pure functions, no I/O.

/** The two-sided 95% normal quantile. */
const Z_95 = 1.959963984540054;

/** How two classifiers did on the same labelled rows. */
export interface PairedCounts {
  /** Rows both scored. */
  n: number;
  bothRight: number;
  onlyFirstRight: number;
  onlySecondRight: number;
  bothWrong: number;
}

export interface Interval {
  low: number;
  high: number;
}

/** An accuracy with its Wilson score interval. */
export interface AccuracyWithInterval {
  accuracy: number;
  interval: Interval;
}

export interface PairedComparison {
  n: number;
  /** Accuracy of the first classifier with its Wilson interval. */
  first: AccuracyWithInterval;
  /** Accuracy of the second classifier with its Wilson interval. */
  second: AccuracyWithInterval;
  /** Second minus first accuracy, with its interval (Newcombe's method 10, for paired proportions). */
  difference: { value: number; interval: Interval };
  /** McNemar's exact test on the discordant pairs (two-sided binomial, p = 0.5). */
  mcnemar: { discordant: number; onlyFirstRight: number; onlySecondRight: number; pValue: number };
  /** Rows where the two predictions agree, when the counts carry it (see pairedCounts). */
  agreeing?: number;
}

/**
 * Tallies rows scored by both classifiers: `first` and `second` are their predictions, `actual`
 * the label. `agreeing` counts the rows where the two predictions are the same.
 */
export function pairedCounts(
  rows: Iterable<{ first: boolean; second: boolean; actual: boolean }>,
): PairedCounts & { agreeing: number } {
  const counts = {
    n: 0,
    bothRight: 0,
    onlyFirstRight: 0,
    onlySecondRight: 0,
    bothWrong: 0,
    agreeing: 0,
  };
  for (const { first, second, actual } of rows) {
    const firstRight = first === actual;
    const secondRight = second === actual;
    counts.n++;
    if (first === second) counts.agreeing++;
    if (firstRight && secondRight) counts.bothRight++;
    else if (firstRight) counts.onlyFirstRight++;
    else if (secondRight) counts.onlySecondRight++;
    else counts.bothWrong++;
  }
  return counts;
}

/**
 * Wilson score interval for `successes` out of `n` (95% by default). With no rows nothing is
 * known, so the interval is the whole of [0, 1].
 */
export function wilsonInterval(successes: number, n: number, z = Z_95): Interval {
  assertCount(n, 'n');
  assertCount(successes, 'successes');
  if (successes > n) throw new RangeError(`successes (${successes}) exceeds n (${n})`);
  if (n === 0) return { low: 0, high: 1 };
  const p = successes / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const halfWidth = (z / denominator) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // At 0 or n successes the bound is exactly 0 or 1; the subtraction would leave rounding dust.
  return {
    low: successes === 0 ? 0 : Math.max(0, centre - halfWidth),
    high: successes === n ? 1 : Math.min(1, centre + halfWidth),
  };
}

/**
 * Two-sided exact McNemar p-value for `b` and `c` discordant pairs:
 * min(1, 2·P(X ≤ min(b, c))) with X ~ Binomial(b + c, 1/2). No discordant pairs gives 1.
 */
export function mcnemarExactPValue(b: number, c: number): number {
  assertCount(b, 'b');
  assertCount(c, 'c');
  const m = b + c;
  if (m === 0) return 1;
  const k = Math.min(b, c);
  // C(m, k)/2^m overflows or underflows long before m = 100000, so the tail is summed relative
  // to its largest term, P(X = k) (the terms grow up to k because k ≤ m/2), and scaled back in
  // log space.
  const logLargest = logChoose(m, k) - m * Math.LN2;
  let relative = 1;
  let term = 1;
  for (let i = k; i > 0; i--) {
    term *= i / (m - i + 1);
    relative += term;
    if (term < relative * Number.EPSILON) break;
  }
  return Math.min(1, 2 * Math.exp(logLargest + Math.log(relative)));
}

/**
 * Compares two classifiers from their paired counts: both accuracies with Wilson intervals, the
 * difference (second − first) with Newcombe's paired interval and McNemar's exact test.
 * With no rows the accuracies are 0 with intervals [0, 1] and the difference is 0 in [−1, 1].
 */
export function comparePaired(
  counts: PairedCounts & { agreeing?: number },
  z = Z_95,
): PairedComparison {
  const { n, bothRight: a, onlyFirstRight: b, onlySecondRight: c, bothWrong: d } = counts;
  for (const [name, value] of Object.entries({ n, a, b, c, d })) assertCount(value, name);
  if (a + b + c + d !== n) {
    throw new RangeError(`the four counts add up to ${a + b + c + d}, not n = ${n}`);
  }
  const first = accuracyWithInterval(a + b, n, z);
  const second = accuracyWithInterval(a + c, n, z);
  const comparison: PairedComparison = {
    n,
    first,
    second,
    difference: newcombeDifference(a, b, c, d, first, second),
    mcnemar: {
      discordant: b + c,
      onlyFirstRight: b,
      onlySecondRight: c,
      pValue: mcnemarExactPValue(b, c),
    },
  };
  if (counts.agreeing !== undefined) comparison.agreeing = counts.agreeing;
  return comparison;
}

function accuracyWithInterval(right: number, n: number, z: number): AccuracyWithInterval {
  return { accuracy: n === 0 ? 0 : right / n, interval: wilsonInterval(right, n, z) };
}

// Newcombe (1998), method 10: the two Wilson intervals combined with the correlation of the
// paired outcomes, so that agreeing classifiers get a narrower interval than independent ones.
function newcombeDifference(
  a: number,
  b: number,
  c: number,
  d: number,
  first: AccuracyWithInterval,
  second: AccuracyWithInterval,
): { value: number; interval: Interval } {
  const n = a + b + c + d;
  if (n === 0) return { value: 0, interval: { low: -1, high: 1 } };
  const [p1, l1, u1] = [first.accuracy, first.interval.low, first.interval.high];
  const [p2, l2, u2] = [second.accuracy, second.interval.low, second.interval.high];
  const phi = correctedPhi(a, b, c, d);
  const lower = Math.sqrt(
    Math.max(0, (p2 - l2) ** 2 - 2 * phi * (p2 - l2) * (u1 - p1) + (u1 - p1) ** 2),
  );
  const upper = Math.sqrt(
    Math.max(0, (u2 - p2) ** 2 - 2 * phi * (u2 - p2) * (p1 - l1) + (p1 - l1) ** 2),
  );
  // From the counts rather than p2 − p1, so equal discordant counts give exactly 0.
  const value = (c - b) / n;
  // Method 10's limits already lie within [−1, 1]; the clamp only guards against rounding.
  return {
    value,
    interval: { low: Math.max(-1, value - lower), high: Math.min(1, value + upper) },
  };
}

// The phi coefficient of the 2×2 table, 0 when a margin is empty. Newcombe's continuity
// correction pulls a positive association towards 0 by n/2, never past it.
function correctedPhi(a: number, b: number, c: number, d: number): number {
  const n = a + b + c + d;
  const denominator = Math.sqrt((a + b) * (c + d) * (a + c) * (b + d));
  if (denominator === 0) return 0;
  const association = a * d - b * c;
  const corrected = association > 0 ? Math.max(association - n / 2, 0) : association;
  return corrected / denominator;
}

// ln C(m, k) through ln Γ.
function logChoose(m: number, k: number): number {
  return logGamma(m + 1) - logGamma(k + 1) - logGamma(m - k + 1);
}

// Lanczos approximation (g = 7, nine coefficients), about 15 significant digits for x ≥ 0.5,
// which is all the binomial coefficients above need (x ≥ 1).
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
  -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
  1.5056327351493116e-7,
];

function logGamma(x: number): number {
  const shifted = x - 1;
  let series = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) series += LANCZOS[i] / (shifted + i);
  const t = shifted + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (shifted + 0.5) * Math.log(t) - t + Math.log(series);
}

function assertCount(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
  }
}
