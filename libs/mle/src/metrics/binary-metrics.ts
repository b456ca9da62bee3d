/** Counts of a binary classifier's answers against the truth; `true` is the positive class. */
export interface ConfusionMatrix {
  truePositive: number;
  falsePositive: number;
  trueNegative: number;
  falseNegative: number;
}

export interface BinaryMetrics {
  count: number;
  accuracy: number;
  /** 95% Wilson score interval of the accuracy: honest at small counts and near 0 or 1. */
  accuracyInterval: [number, number];
  precision: number;
  recall: number;
  f1: number;
  confusion: ConfusionMatrix;
  /** Accuracy of always answering the more frequent true class: the floor a model must beat. */
  majorityClassAccuracy: number;
}

export function emptyConfusion(): ConfusionMatrix {
  return { truePositive: 0, falsePositive: 0, trueNegative: 0, falseNegative: 0 };
}

export function addToConfusion(matrix: ConfusionMatrix, predicted: boolean, actual: boolean): void {
  if (predicted && actual) matrix.truePositive += 1;
  else if (predicted) matrix.falsePositive += 1;
  else if (actual) matrix.falseNegative += 1;
  else matrix.trueNegative += 1;
}

/** Wilson score interval for `successes` out of `n` (z = 1.96 for 95%); [0, 0] when n = 0. */
export function wilsonInterval(successes: number, n: number, z = 1.96): [number, number] {
  if (n === 0) return [0, 0];
  const p = successes / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

// Precision, recall and F1 are 0 (not NaN) when undefined, so they serialise and compare.
const ratio = (numerator: number, denominator: number) =>
  denominator === 0 ? 0 : numerator / denominator;

export function metricsFromConfusion(confusion: ConfusionMatrix): BinaryMetrics {
  const { truePositive: tp, falsePositive: fp, trueNegative: tn, falseNegative: fn } = confusion;
  const count = tp + fp + tn + fn;
  const correct = tp + tn;
  const precision = ratio(tp, tp + fp);
  const recall = ratio(tp, tp + fn);
  const actualPositive = tp + fn;
  return {
    count,
    accuracy: ratio(correct, count),
    accuracyInterval: wilsonInterval(correct, count),
    precision,
    recall,
    f1: ratio(2 * precision * recall, precision + recall),
    confusion: { ...confusion },
    majorityClassAccuracy: ratio(Math.max(actualPositive, count - actualPositive), count),
  };
}

export function binaryMetrics(
  pairs: Iterable<{ predicted: boolean; actual: boolean }>,
): BinaryMetrics {
  const confusion = emptyConfusion();
  for (const { predicted, actual } of pairs) addToConfusion(confusion, predicted, actual);
  return metricsFromConfusion(confusion);
}
