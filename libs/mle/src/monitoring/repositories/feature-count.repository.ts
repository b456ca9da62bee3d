import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { EvaluationWindow } from '../accuracy';
import { BinCounts } from '../drift';
import { SCORE_FEATURE } from '../performance-estimation';

/** One version's predictions on one UTC day by class and probability bin (`p37`, `n02`). */
export interface ScoreRow {
  version: string;
  day: string;
  bin: string;
  count: number;
}

/**
 * `prediction_feature_counts`: predictions per UTC day, feature and bin of their version's
 * training reference, written by the ingestion with the rows. A window is read as whole UTC
 * days: from the day its start falls on to the day of its end.
 */
@Injectable()
export class FeatureCountRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async counts(
    model: string,
    version: string,
    features: readonly string[],
    window: EvaluationWindow,
    { lockTimeoutMs }: { lockTimeoutMs: number },
  ): Promise<BinCounts> {
    const rows = await this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT set_config('lock_timeout', $1, true)`, [`${lockTimeoutMs}ms`]);
      return manager.query<{ name: string; bin: string; count: number }[]>(
        `SELECT feature AS name, bin, sum(count)::float8 AS count
           FROM prediction_feature_counts
          WHERE model = $1 AND model_version = $2 AND feature = ANY($5::text[])
            AND day >= ($3::timestamptz AT TIME ZONE 'UTC')::date
            AND day <= ($4::timestamptz AT TIME ZONE 'UTC')::date
          GROUP BY 1, 2`,
        [model, version, window.from, window.to, features],
      );
    });
    const counts = new Map<string, Map<string, number>>(features.map((name) => [name, new Map()]));
    for (const row of rows) counts.get(row.name)?.set(row.bin, row.count);
    return counts;
  }

  /** Every version's predictions in the window by UTC day, class and probability bin. */
  async scores(
    model: string,
    window: EvaluationWindow,
    { lockTimeoutMs }: { lockTimeoutMs: number },
  ): Promise<ScoreRow[]> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT set_config('lock_timeout', $1, true)`, [`${lockTimeoutMs}ms`]);
      return manager.query<ScoreRow[]>(
        `SELECT model_version AS version, to_char(day, 'YYYY-MM-DD') AS day, bin,
                count::float8 AS count
           FROM prediction_feature_counts
          WHERE model = $1 AND feature = $4
            AND day >= ($2::timestamptz AT TIME ZONE 'UTC')::date
            AND day <= ($3::timestamptz AT TIME ZONE 'UTC')::date`,
        [model, window.from, window.to, SCORE_FEATURE],
      );
    });
  }
}
