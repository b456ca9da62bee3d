import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { GroundTruthSource } from './ground-truth.source';

/** What one `update` did. */
export interface OutcomeUpdate {
  /** Predictions folded in (loaded since the last run). */
  predictions: number;
  /** Outcomes whose label was set, changed or cleared since the last run. */
  labelsChanged: number;
  seconds: number;
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
         prediction = EXCLUDED.prediction, label = EXCLUDED.label
   WHERE EXCLUDED.predicted_at > prediction_outcomes.predicted_at
      OR (EXCLUDED.predicted_at = prediction_outcomes.predicted_at
          AND EXCLUDED.prediction_id < prediction_outcomes.prediction_id)`;

/** New predictions past which the planner's statistics are refreshed before folding them. */
const ANALYZE_AFTER = 50_000;

/**
 * Keeps `prediction_outcomes` up to date, touching only what is new since the last run: per
 * input and model version, the prediction that counts (the latest; on a tie, the smallest id)
 * and its label as last seen. The labels changed since the last check (by the ground truth's
 * `changed_at`) are copied onto their outcomes; then the new predictions (by `predictions.seq`)
 * are folded in, looking their labels up.
 *
 * A run's cost follows the new predictions and changed labels, not the history. Everything is
 * written in one transaction with its checkpoints. It runs under the retraining monitor's lock,
 * after the ingestion has committed: `predictions` has no writer in flight, so no row with a
 * `seq` below the checkpoint can appear later. (The daily feature counts for drift are written
 * by the ingestion, with the rows.)
 */
@Injectable()
export class OutcomeTracker {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly groundTruth: GroundTruthSource,
  ) {}

  /** `lockTimeoutMs`: the longest wait for a table lock (`sales` may be locked by its users). */
  async update({ lockTimeoutMs }: { lockTimeoutMs: number }): Promise<OutcomeUpdate> {
    const started = performance.now();
    const result = await this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT set_config('lock_timeout', $1, true)`, [`${lockTimeoutMs}ms`]);
      // The first run after a large load sorts and joins all of it: more of it in memory.
      await manager.query(`SET LOCAL work_mem = '64MB'`);
      const labelsChanged = await this.refreshLabels(manager);
      const predictions = await this.foldPredictions(manager);
      return { predictions, labelsChanged };
    });
    return { ...result, seconds: (performance.now() - started) / 1000 };
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
  private async refreshLabels(manager: EntityManager): Promise<number> {
    const last = await this.checkpoint(manager, LABELS);
    const [{ now }] = await manager.query<{ now: Date }[]>(`SELECT clock_timestamp() AS now`);
    let changed = 0;
    if (last.at) {
      const since = new Date(last.at.getTime() - LABEL_MARGIN_MS);
      // TypeORM answers an UPDATE with [rows, affected count].
      const [, count] = await manager.query<[unknown, number]>(
        `UPDATE prediction_outcomes o SET label = g.label
           FROM ${this.groundTruth.labelsRelation()} g
          WHERE g.changed_at >= $1 AND o.input_id = g.input_id
            AND o.label IS DISTINCT FROM g.label`,
        [since],
      );
      changed = count;
    }
    await manager.query(
      `UPDATE monitoring_checkpoints SET at = $2, updated_at = now() WHERE name = $1`,
      [LABELS, now],
    );
    return changed;
  }

  /** Folds the predictions loaded since the last run into the outcomes; how many there were. */
  private async foldPredictions(manager: EntityManager): Promise<number> {
    const last = await this.checkpoint(manager, FOLDED);
    const from = last.seq ?? '0';
    const [{ upto, count }] = await manager.query<{ upto: string | null; count: string }[]>(
      `SELECT max(seq) AS upto, count(*) AS count FROM predictions WHERE seq > $1`,
      [from],
    );
    if (upto === null) return 0;
    // Statistics from before a large load would plan a million index lookups for the join.
    if (Number(count) >= ANALYZE_AFTER) await manager.query('ANALYZE predictions');

    // The first fold (a back-fill) meets no outcome: a plain insert then saves the conflict
    // checks, about a third of its time.
    const [{ empty }] = await manager.query<{ empty: boolean }[]>(
      `SELECT NOT EXISTS (SELECT FROM prediction_outcomes) AS empty`,
    );
    await manager.query(
      `INSERT INTO prediction_outcomes
              (model, model_version, input_id, predicted_at, prediction_id, prediction, label)
       SELECT n.model, n.model_version, n.input_id, n.predicted_at, n.id, n.prediction, g.label
         FROM (SELECT DISTINCT ON (input_id COLLATE "C", model COLLATE "C", model_version COLLATE "C")
                      model, model_version, input_id, predicted_at, id, prediction
                 FROM predictions
                WHERE seq > $1 AND seq <= $2
                -- In the outcomes' key order ("C": bytes, several times faster to sort than a
                -- language's collation), so the key index fills from left to right.
                ORDER BY input_id COLLATE "C", model COLLATE "C", model_version COLLATE "C",
                         predicted_at DESC, id) n
         LEFT JOIN ${this.groundTruth.labelsRelation()} g ON g.input_id = n.input_id
       ${empty ? '' : KEEP_LATEST}`,
      [from, upto],
    );

    await manager.query(
      `UPDATE monitoring_checkpoints SET seq = $2, updated_at = now() WHERE name = $1`,
      [FOLDED, upto],
    );
    return Number(count);
  }
}
