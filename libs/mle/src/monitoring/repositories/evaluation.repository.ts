import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Evaluation } from '../evaluation';

interface EvaluationRow {
  id: string;
  evaluated_at: Date;
  job_run_id: string | null;
  model: string;
  model_version: string | null;
  recommendation: Evaluation['recommendation'];
  reasons: string[];
  accuracy: number | null;
  labelled: number;
  threshold: number;
  min_labelled: number;
  window_from: Date;
  window_to: Date;
  metrics: Evaluation['metrics'];
  drift: Evaluation['drift'];
  ingestion: Evaluation['ingestion'];
  outcomes: Evaluation['outcomes'];
  timings: Evaluation['timings'];
  estimation: Evaluation['estimation'] | null;
}

function toEvaluation(row: EvaluationRow): Evaluation {
  return {
    id: String(row.id),
    evaluatedAt: row.evaluated_at.toISOString(),
    ...(row.job_run_id ? { jobRunId: String(row.job_run_id) } : {}),
    model: row.model,
    ...(row.model_version ? { modelVersion: row.model_version } : {}),
    recommendation: row.recommendation,
    reasons: row.reasons,
    ...(row.accuracy === null ? {} : { accuracy: row.accuracy }),
    labelled: row.labelled,
    threshold: row.threshold,
    minLabelled: row.min_labelled,
    window: { from: row.window_from.toISOString(), to: row.window_to.toISOString() },
    metrics: row.metrics,
    drift: row.drift,
    ingestion: row.ingestion,
    outcomes: row.outcomes,
    timings: row.timings,
    ...(row.estimation ? { estimation: row.estimation } : {}),
  };
}

/** `model_evaluations`: every evaluation, per model. */
@Injectable()
export class EvaluationRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Stores an evaluation (waiting at most `lockTimeoutMs` for a table lock). */
  async insert(
    evaluation: Omit<Evaluation, 'id' | 'evaluatedAt'>,
    { lockTimeoutMs }: { lockTimeoutMs: number },
  ): Promise<Evaluation> {
    const e = evaluation;
    const [row] = await this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT set_config('lock_timeout', $1, true)`, [`${lockTimeoutMs}ms`]);
      return manager.query<EvaluationRow[]>(
        `INSERT INTO model_evaluations (job_run_id, window_from, window_to, model, model_version,
           recommendation, reasons, accuracy, labelled, threshold, min_labelled, metrics, drift,
           ingestion, outcomes, timings, estimation)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
         RETURNING *`,
        [
          e.jobRunId ?? null,
          e.window.from,
          e.window.to,
          e.model,
          e.modelVersion ?? null,
          e.recommendation,
          JSON.stringify(e.reasons),
          e.accuracy ?? null,
          e.labelled,
          e.threshold,
          e.minLabelled,
          JSON.stringify(e.metrics),
          JSON.stringify(e.drift),
          JSON.stringify(e.ingestion),
          JSON.stringify(e.outcomes),
          JSON.stringify(e.timings),
          e.estimation ? JSON.stringify(e.estimation) : null,
        ],
      );
    });
    return toEvaluation(row);
  }

  /** The model's evaluations, newest first. */
  async list(model: string, limit: number): Promise<Evaluation[]> {
    const rows = await this.dataSource.query<EvaluationRow[]>(
      `SELECT * FROM model_evaluations WHERE model = $1
        ORDER BY evaluated_at DESC, id DESC LIMIT $2`,
      [model, limit],
    );
    return rows.map(toEvaluation);
  }
}
