import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { BinaryMetrics, metricsFromConfusion } from '../metrics/binary-metrics';
import { GroundTruthSource } from './ground-truth.source';

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
 * Joins logged predictions with the ground truth in PostgreSQL and counts the confusion matrix
 * per model version and overall, in one query over the window.
 *
 * When an input id was predicted several times by one version, the latest prediction counts:
 * a retry or a re-scoring replaces the earlier answer, and counting every call would give more
 * weight to the inputs that clients happened to retry. Overall counts each (input, version)
 * once.
 */
@Injectable()
export class AccuracyEvaluator {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly groundTruth: GroundTruthSource,
  ) {}

  async evaluate(model: string, window: EvaluationWindow): Promise<AccuracyEvaluation> {
    const rows = await this.dataSource.query<Row[]>(
      `WITH latest AS (
         SELECT DISTINCT ON (p.input_id, p.model_version)
                p.input_id, p.model_version, p.prediction, p.predicted_at
           FROM predictions p
          WHERE p.model = $1 AND p.predicted_at >= $2 AND p.predicted_at < $3
          ORDER BY p.input_id, p.model_version, p.predicted_at DESC, p.id
       )
       SELECT l.model_version,
              count(*) FILTER (WHERE g.label IS NOT NULL)::int              AS labelled,
              count(*) FILTER (WHERE g.label IS NULL)::int                  AS unlabelled,
              count(*) FILTER (WHERE l.prediction AND g.label)::int         AS tp,
              count(*) FILTER (WHERE l.prediction AND NOT g.label)::int     AS fp,
              count(*) FILTER (WHERE NOT l.prediction AND NOT g.label)::int AS tn,
              count(*) FILTER (WHERE NOT l.prediction AND g.label)::int     AS fn,
              max(l.predicted_at)                                           AS last_prediction_at
         FROM latest l
         LEFT JOIN ${this.groundTruth.labelsRelation()} g ON g.input_id = l.input_id
        GROUP BY ROLLUP (l.model_version)`,
      [model, window.from, window.to],
    );
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
