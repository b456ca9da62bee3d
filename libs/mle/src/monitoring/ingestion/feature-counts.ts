import { PoolClient } from 'pg';
import { SCORE_FEATURE, scoreBin } from '../performance-estimation';
import { binIndex, FeatureReference, ReferenceDistribution } from '../reference-distribution';

/** The training reference of a model version, or undefined when there is none to count by. */
export type ReferenceLookup = (model: string, version: string) => ReferenceDistribution | undefined;

const DAY_MS = 86_400_000;

/**
 * The bin a feature value falls in, as drift detection keys it: for a number, the index of its
 * bin among the reference's quantile edges; for a category or a boolean, the value itself
 * (`"true"`/`"false"`); `"null"` for a missing value or a number that is not one.
 */
export function featureBin(reference: FeatureReference, value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (reference.kind === 'numeric') {
    return typeof value === 'number' && Number.isFinite(value)
      ? String(binIndex(reference.edges, value))
      : 'null';
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** One model version's counts on one UTC day: per feature, per bin. */
interface DayCounts {
  model: string;
  version: string;
  day: number;
  reference: [string, FeatureReference][];
  bins: Map<string, number>[];
  /** By predicted class and probability (performance estimation), reference or not. */
  scores: Map<string, number>;
}

/**
 * Predictions counted per model version, UTC day, feature and bin of the version's training
 * reference: what drift detection sums over a window. Beside them, under `#score`, by predicted
 * class and hundredth of probability: what performance estimation sums. Counted as the lines are staged, and
 * written in the same transaction as their rows, so each line counts exactly once.
 */
export class FeatureCounts {
  private readonly days = new Map<string, DayCounts>();
  private last: DayCounts | undefined;

  add(
    model: string,
    version: string,
    at: number,
    prediction: { prediction: boolean; probability: number },
    features: Readonly<Record<string, unknown>>,
    reference: ReferenceDistribution | undefined,
  ): void {
    const day = Math.floor(at / DAY_MS);
    let counts = this.last;
    // Lines come in time order, mostly of one version: the previous line's day is the likely one.
    if (!counts || counts.day !== day || counts.version !== version || counts.model !== model) {
      const key = `${model}\u0000${version}\u0000${day}`;
      counts = this.days.get(key);
      if (!counts) {
        const entries = Object.entries(reference ?? {});
        counts = {
          model,
          version,
          day,
          reference: entries,
          bins: entries.map(() => new Map<string, number>()),
          scores: new Map<string, number>(),
        };
        this.days.set(key, counts);
      }
      this.last = counts;
    }
    const score = scoreBin(prediction.prediction, prediction.probability);
    counts.scores.set(score, (counts.scores.get(score) ?? 0) + 1);
    const { reference: entries, bins } = counts;
    for (let i = 0; i < entries.length; i++) {
      const bin = featureBin(entries[i][1], features[entries[i][0]]);
      bins[i].set(bin, (bins[i].get(bin) ?? 0) + 1);
    }
  }

  /** Adds the counts to `prediction_feature_counts` (inside the caller's transaction). */
  async save(client: PoolClient): Promise<void> {
    const rows: [string[], string[], number[], string[], string[], number[]] = [
      [],
      [],
      [],
      [],
      [],
      [],
    ];
    const push = (
      model: string,
      version: string,
      day: number,
      feature: string,
      bin: string,
      count: number,
    ) => {
      rows[0].push(model);
      rows[1].push(version);
      rows[2].push(day);
      rows[3].push(feature);
      rows[4].push(bin);
      rows[5].push(count);
    };
    for (const { model, version, day, reference, bins, scores } of this.days.values()) {
      reference.forEach(([feature], i) => {
        for (const [bin, count] of bins[i]) push(model, version, day, feature, bin, count);
      });
      for (const [bin, count] of scores) push(model, version, day, SCORE_FEATURE, bin, count);
    }
    if (rows[0].length === 0) return;
    await client.query(
      `INSERT INTO prediction_feature_counts AS c (model, model_version, day, feature, bin, count)
       SELECT model, version, date '1970-01-01' + day, feature, bin, count
         FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::bigint[])
              AS n(model, version, day, feature, bin, count)
       ON CONFLICT (model, model_version, day, feature, bin) DO UPDATE
          SET count = c.count + EXCLUDED.count`,
      rows,
    );
  }
}
