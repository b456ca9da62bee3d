import { AccuracyWithInterval, comparePaired, Interval, PairedCounts } from './paired-comparison';

/** What the gate decided about a challenger, stored with its version and returned by a retrain. */
export interface GateReport {
  passed: boolean;
  /** Why, in words. */
  reasons: string[];
  threshold: number;
  /** The rows both versions were scored on: the latest labelled rows of the window. */
  holdout: { rows: number; from?: string; to?: string };
  challenger: { version: string } & AccuracyWithInterval;
  /** Absent when there was no champion to compare with (or it could not be loaded). */
  champion?: { version: string } & AccuracyWithInterval;
  /** Challenger − champion accuracy on the same rows, with its 95% interval. */
  difference?: { value: number; interval: Interval };
  mcnemar?: { onlyChampionRight: number; onlyChallengerRight: number; pValue: number };
  /** Share of the holdout rows on which the two versions predict the same. */
  agreement?: number;
}

const percent = (value: number) => `${(100 * value).toFixed(1)}%`;
const interval = ({ low, high }: Interval) => `${percent(low)}–${percent(high)}`;

/**
 * The gate: a challenger passes when its accuracy on the holdout is at least `threshold` and
 * not below the champion's on the same rows. `paired` counts champion (first) against challenger
 * (second) on those rows; without a champion, `championVersion` is undefined and only the
 * threshold applies.
 */
export function gateReport(input: {
  challengerVersion: string;
  championVersion?: string;
  championUnavailable?: string;
  paired: PairedCounts & { agreeing: number };
  threshold: number;
  holdout: { from?: string; to?: string };
}): GateReport {
  const { paired, threshold } = input;
  const comparison = comparePaired(paired);
  const challenger = { version: input.challengerVersion, ...comparison.second };
  const reasons: string[] = [];
  const aboveThreshold = challenger.accuracy >= threshold;
  reasons.push(
    `challenger accuracy ${percent(challenger.accuracy)} (95% CI ${interval(challenger.interval)}) on ${paired.n} holdout rows is ${aboveThreshold ? 'at or above' : 'below'} the threshold ${percent(threshold)}`,
  );
  const report: GateReport = {
    passed: aboveThreshold,
    reasons,
    threshold,
    holdout: { rows: paired.n, ...input.holdout },
    challenger,
  };
  if (!input.championVersion) {
    reasons.push(
      input.championUnavailable
        ? `no champion to compare with: ${input.championUnavailable}`
        : 'there is no champion to compare with',
    );
    return report;
  }
  const champion = { version: input.championVersion, ...comparison.first };
  const notWorse = challenger.accuracy >= champion.accuracy;
  reasons.push(
    `champion ${champion.version} scores ${percent(champion.accuracy)} (95% CI ${interval(champion.interval)}) on the same rows: ` +
      `the challenger is ${notWorse ? 'not below it' : 'below it'} (difference ${(100 * comparison.difference.value).toFixed(1)} points, ` +
      `95% CI ${(100 * comparison.difference.interval.low).toFixed(1)} to ${(100 * comparison.difference.interval.high).toFixed(1)}; ` +
      `McNemar p = ${comparison.mcnemar.pValue.toPrecision(3)})`,
  );
  return {
    ...report,
    passed: aboveThreshold && notWorse,
    champion,
    difference: comparison.difference,
    mcnemar: {
      onlyChampionRight: paired.onlyFirstRight,
      onlyChallengerRight: paired.onlySecondRight,
      pValue: comparison.mcnemar.pValue,
    },
    agreement: paired.n === 0 ? undefined : paired.agreeing / paired.n,
  };
}
