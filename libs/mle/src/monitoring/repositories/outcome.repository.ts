import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { LabelledTableSql } from '../../data/labelled-table';
import { EvaluationWindow } from '../accuracy';

/** A model as the outcomes know it: its name and where its labels are. */
export interface LabelledModel {
  name: string;
  data: LabelledTableSql;
}

/** The confusion counts of one model version (or all, `version` null) over a window. */
export interface ConfusionRow {
  version: string | null;
  labelled: number;
  unlabelled: number;
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  lastPredictionAt: Date | null;
}

const FOLDED = 'predictions-folded';
const LABELS = 'labels-checked';
/**
 * Labels are read again from this long before the last check: a label written in a transaction
 * that committed after that check (but stamped before it) is still seen.
 */
const LABEL_MARGIN_MS = 3_600_000;

/** Folding into existing outcomes: a new prediction replaces one only if it is later. */
const KEEP_LATEST = `
  ON CONFLICT (input_id, model, model_version) DO UPDATE
     SET predicted_at = EXCLUDED.predicted_at, prediction_id = EXCLUDED.prediction_id,
         prediction = EXCLUDED.prediction, label = EXCLUDED.label, shadow = EXCLUDED.shadow
   WHERE EXCLUDED.predicted_at > prediction_outcomes.predicted_at
      OR (EXCLUDED.predicted_at = prediction_outcomes.predicted_at
          AND EXCLUDED.prediction_id < prediction_outcomes.prediction_id)`;

/** New predictions past which the planner's statistics are refreshed before folding them. */
const ANALYZE_AFTER = 50_000;

/**
 * `prediction_outcomes` and its checkpoints: per input, model and version, the prediction that
 * counts (the latest; on a tie, the smallest id) and its label as last seen, and the counts the
 * evaluation reads from it.
 */
@Injectable()
export class OutcomeRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * In one transaction with its checkpoints: copies the labels changed (or withdrawn) since the
   * last check onto the outcomes of each model, then folds in the predictions loaded since the
   * last run (by `predictions.seq`), each model's looking its labels up. Predictions of a model
   * not listed are passed over.
   */
  async update(
    models: readonly LabelledModel[],
    { lockTimeoutMs }: { lockTimeoutMs: number },
  ): Promise<{ predictions: number; labelsChanged: number }> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT set_config('lock_timeout', $1, true)`, [`${lockTimeoutMs}ms`]);
      // The first run after a large load sorts and joins all of it: more of it in memory.
      await manager.query(`SET LOCAL work_mem = '64MB'`);
      const labelsChanged = await this.refreshLabels(manager, models);
      const predictions = await this.foldPredictions(manager, models);
      return { predictions, labelsChanged };
    });
  }

  /**
   * Confusion counts per version (all its predictions, answered or in shadow) and overall
   * (`version` null: the answered predictions only), over a window.
   */
  async confusion(
    model: string,
    window: EvaluationWindow,
    { lockTimeoutMs }: { lockTimeoutMs: number },
  ): Promise<ConfusionRow[]> {
    const rows = await this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT set_config('lock_timeout', $1, true)`, [`${lockTimeoutMs}ms`]);
      return manager.query<(Omit<ConfusionRow, 'lastPredictionAt'> & { last: Date | null })[]>(
        `SELECT model_version AS version,
              count(*) FILTER (WHERE label IS NOT NULL)::int              AS labelled,
              count(*) FILTER (WHERE label IS NULL)::int                  AS unlabelled,
              count(*) FILTER (WHERE prediction AND label)::int           AS tp,
              count(*) FILTER (WHERE prediction AND NOT label)::int       AS fp,
              count(*) FILTER (WHERE NOT prediction AND NOT label)::int   AS tn,
              count(*) FILTER (WHERE NOT prediction AND label)::int       AS fn,
              max(predicted_at)                                           AS last
         FROM prediction_outcomes
        WHERE model = $1 AND predicted_at >= $2 AND predicted_at < $3
        -- One pass: a row per version, and the overall rows split by shadow, of which only the
        -- answered one is kept (a shadow's predictions never reached a caller).
        GROUP BY GROUPING SETS ((model_version), (shadow))
       HAVING GROUPING(model_version) = 0 OR NOT shadow`,
        [model, window.from, window.to],
      );
    });
    return rows.map(({ last, ...row }) => ({ ...row, lastPredictionAt: last }));
  }

  /** One version's outcomes in the window per UTC day: labelled, and of those predicted right. */
  async daily(
    model: string,
    version: string,
    window: EvaluationWindow,
    { lockTimeoutMs }: { lockTimeoutMs: number },
  ): Promise<{ day: string; outcomes: number; labelled: number; correct: number }[]> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT set_config('lock_timeout', $1, true)`, [`${lockTimeoutMs}ms`]);
      return manager.query(
        `SELECT to_char(predicted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day,
                count(*)::int AS outcomes,
                count(label)::int AS labelled,
                count(*) FILTER (WHERE prediction = label)::int AS correct
           FROM prediction_outcomes
          WHERE model = $1 AND model_version = $2 AND predicted_at >= $3 AND predicted_at < $4
          GROUP BY 1 ORDER BY 1`,
        [model, version, window.from, window.to],
      );
    });
  }

  private async checkpoint(
    manager: EntityManager,
    name: string,
  ): Promise<{ seq: string | null; at: Date | null }> {
    await manager.query(
      `INSERT INTO monitoring_checkpoints (name) VALUES ($1) ON CONFLICT (name) DO NOTHING`,
      [name],
    );
    const [row] = await manager.query<{ seq: string | null; at: Date | null }[]>(
      `SELECT seq, at FROM monitoring_checkpoints WHERE name = $1 FOR UPDATE`,
      [name],
    );
    return row;
  }

  /**
   * Copies the labels changed since the last check onto the outcomes already folded in (new
   * predictions look theirs up as they are folded). The first check starts from now: every
   * outcome folded before it looked its label up then.
   */
  private async refreshLabels(
    manager: EntityManager,
    models: readonly LabelledModel[],
  ): Promise<number> {
    const last = await this.checkpoint(manager, LABELS);
    const [{ now }] = await manager.query<{ now: Date }[]>(`SELECT clock_timestamp() AS now`);
    let changed = 0;
    if (last.at) {
      const since = new Date(last.at.getTime() - LABEL_MARGIN_MS);
      for (const { name, data } of models) {
        // TypeORM answers an UPDATE with [rows, affected count].
        const [, count] = await manager.query<[unknown, number]>(
          `UPDATE prediction_outcomes o SET label = c.label
             FROM ${data.labelChangesSince(1, 2)} c
            WHERE o.model = $3 AND o.input_id = c.input_id
              AND o.label IS DISTINCT FROM c.label`,
          [since, data.labelSource, name],
        );
        changed += count;
      }
    }
    await manager.query(
      `UPDATE monitoring_checkpoints SET at = $2, updated_at = now() WHERE name = $1`,
      [LABELS, now],
    );
    return changed;
  }

  /** Folds the predictions loaded since the last run into the outcomes; how many there were. */
  private async foldPredictions(
    manager: EntityManager,
    models: readonly LabelledModel[],
  ): Promise<number> {
    const last = await this.checkpoint(manager, FOLDED);
    const from = last.seq ?? '0';
    const [{ upto, count, partitions }] = await manager.query<
      { upto: string | null; count: string; partitions: string[] | null }[]
    >(
      `SELECT max(seq) AS upto, count(*) AS count,
              array_agg(DISTINCT tableoid::regclass::text) AS partitions
         FROM predictions WHERE seq > $1`,
      [from],
    );
    if (upto === null) return 0;
    // Statistics from before a large load would plan a million index lookups for the join. Only
    // the days' partitions that took the new rows: ANALYZE of the whole table would sample every
    // day of the retention.
    if (Number(count) >= ANALYZE_AFTER) {
      for (const partition of partitions ?? []) await manager.query(`ANALYZE ${partition}`);
    }

    for (const { name, data } of models) {
      // The first fold (a back-fill) meets no outcome: a plain insert then saves the conflict
      // checks, about a third of its time.
      const [{ empty }] = await manager.query<{ empty: boolean }[]>(
        `SELECT NOT EXISTS (SELECT FROM prediction_outcomes WHERE model = $1) AS empty`,
        [name],
      );
      await manager.query(
        `INSERT INTO prediction_outcomes
                (model, model_version, input_id, predicted_at, prediction_id, prediction, label,
                 shadow)
         SELECT n.model, n.model_version, n.input_id, n.predicted_at, n.id, n.prediction, g.label,
                n.shadow
           FROM (SELECT DISTINCT ON (input_id COLLATE "C", model_version COLLATE "C")
                        model, model_version, input_id, predicted_at, id, prediction, shadow
                   FROM predictions
                  WHERE seq > $1 AND seq <= $2 AND model = $3
                  -- In the outcomes' key order ("C": bytes, several times faster to sort than a
                  -- language's collation), so the key index fills from left to right.
                  ORDER BY input_id COLLATE "C", model_version COLLATE "C",
                           predicted_at DESC, id) n
           LEFT JOIN ${data.labelLookup()} g ON g.input_id = n.input_id
         ${empty ? '' : KEEP_LATEST}`,
        [from, upto, name],
      );
    }

    await manager.query(
      `UPDATE monitoring_checkpoints SET seq = $2, updated_at = now() WHERE name = $1`,
      [FOLDED, upto],
    );
    return Number(count);
  }
}
