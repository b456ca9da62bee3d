import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { BinaryMetrics, metricsFromConfusion } from '../metrics/binary-metrics';

export interface EvaluationWindow {
  from: Date;
  to: Date;
}

export interface VersionEvaluation {
  version: string;
  /** Predictions (one per input id) whose label is known, and those still waiting for it. */
  labelled: number;
  unlabelled: number;
  /** labelled / (labelled + unlabelled). */
  labelCoverage: number;
  metrics: BinaryMetrics;
  lastPredictionAt: string;
}

export interface AccuracyEvaluation {
  window: { from: string; to: string };
  overall: Omit<VersionEvaluation, 'version' | 'lastPredictionAt'>;
  versions: VersionEvaluation[];
}

interface Row {
  model_version: string | null;
  labelled: number;
  unlabelled: number;
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  last_prediction_at: Date | null;
}

/**
 * Counts the confusion matrix per model version and overall over the window, in one query over
 * `prediction_outcomes` (kept up to date by `OutcomeTracker`): each row is the prediction that
 * counts for one input and version, with its label.
 *
 * When an input id was predicted several times by one version, the latest prediction counts:
 * a retry or a re-scoring replaces the earlier answer, and counting every call would give more
 * weight to the inputs that clients happened to retry. An input counts in the window when that
 * latest prediction falls in it. Overall counts each (input, version) once.
 */
@Injectable()
export class AccuracyEvaluator {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** `lockTimeoutMs`: the longest wait for a table lock before the evaluation fails. */
  async evaluate(
    model: string,
    window: EvaluationWindow,
    { lockTimeoutMs }: { lockTimeoutMs: number },
  ): Promise<AccuracyEvaluation> {
    const rows = await this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT set_config('lock_timeout', $1, true)`, [`${lockTimeoutMs}ms`]);
      return manager.query<Row[]>(
        `SELECT model_version,
              count(*) FILTER (WHERE label IS NOT NULL)::int              AS labelled,
              count(*) FILTER (WHERE label IS NULL)::int                  AS unlabelled,
              count(*) FILTER (WHERE prediction AND label)::int           AS tp,
              count(*) FILTER (WHERE prediction AND NOT label)::int       AS fp,
              count(*) FILTER (WHERE NOT prediction AND NOT label)::int   AS tn,
              count(*) FILTER (WHERE NOT prediction AND label)::int       AS fn,
              max(predicted_at)                                           AS last_prediction_at
         FROM prediction_outcomes
        WHERE model = $1 AND predicted_at >= $2 AND predicted_at < $3
        GROUP BY ROLLUP (model_version)`,
        [model, window.from, window.to],
      );
    });
    const summarise = (row: Row | undefined) => {
      const confusion = {
        truePositive: row?.tp ?? 0,
        falsePositive: row?.fp ?? 0,
        trueNegative: row?.tn ?? 0,
        falseNegative: row?.fn ?? 0,
      };
      const labelled = row?.labelled ?? 0;
      const unlabelled = row?.unlabelled ?? 0;
      return {
        labelled,
        unlabelled,
        labelCoverage: labelled + unlabelled === 0 ? 0 : labelled / (labelled + unlabelled),
        metrics: metricsFromConfusion(confusion),
      };
    };
    return {
      window: { from: window.from.toISOString(), to: window.to.toISOString() },
      overall: summarise(rows.find((row) => row.model_version === null)),
      versions: rows
        .filter((row) => row.model_version !== null)
        .map((row) => ({
          version: row.model_version as string,
          ...summarise(row),
          lastPredictionAt: (row.last_prediction_at as Date).toISOString(),
        }))
        .sort((a, b) => b.lastPredictionAt.localeCompare(a.lastPredictionAt)),
    };
  }
}
