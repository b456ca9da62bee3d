import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DriftLevel, driftLevel, populationStabilityIndex } from './population-stability';
import { ReferenceDistribution } from './reference-distribution';
import { EvaluationWindow } from './accuracy-evaluator';

export interface FeatureDrift {
  feature: string;
  psi: number;
  level: DriftLevel;
}

export interface DriftReport {
  /** `insufficient`: too few predictions to compare; `unavailable`: no reference to compare with. */
  status: 'computed' | 'insufficient' | 'unavailable';
  version?: string;
  predictions: number;
  features: FeatureDrift[];
  note?: string;
}

/**
 * Population Stability Index of every feature between the predictions a version made in the
 * window and the training reference in its manifest. The predictions are counted per UTC day,
 * feature and bin as they are loaded (`FeatureCounts`: numbers by the bin of the reference's
 * quantile edges, categories by value), so the window is whole UTC days: from the
 * day its start falls on to today.
 */
@Injectable()
export class DriftDetector {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async measure(
    model: string,
    version: string,
    reference: ReferenceDistribution,
    window: EvaluationWindow,
    options: { moderate: number; significant: number; minSample: number; lockTimeoutMs: number },
  ): Promise<DriftReport> {
    const names = Object.keys(reference);
    if (names.length === 0) {
      return {
        status: 'unavailable',
        version,
        predictions: 0,
        features: [],
        note: 'the manifest has no reference distribution',
      };
    }
    const rows = await this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT set_config('lock_timeout', $1, true)`, [
        `${options.lockTimeoutMs}ms`,
      ]);
      return manager.query<{ name: string; bin: string; count: number }[]>(
        `SELECT feature AS name, bin, sum(count)::float8 AS count
         FROM prediction_feature_counts
        WHERE model = $1 AND model_version = $2 AND feature = ANY($5::text[])
          AND day >= ($3::timestamptz AT TIME ZONE 'UTC')::date
          AND day <= ($4::timestamptz AT TIME ZONE 'UTC')::date
        GROUP BY 1, 2`,
        [model, version, window.from, window.to, names],
      );
    });
    const counts = new Map<string, Map<string, number>>(names.map((name) => [name, new Map()]));
    for (const row of rows) counts.get(row.name)?.set(row.bin, row.count);
    const predictions = [...(counts.get(names[0])?.values() ?? [])].reduce((sum, n) => sum + n, 0);
    if (predictions < options.minSample) {
      return {
        status: 'insufficient',
        version,
        predictions,
        features: [],
        note: `${predictions} predictions of version ${version} in the window; drift needs at least ${options.minSample}`,
      };
    }
    const features = names
      .map((feature) => {
        const psi = populationStabilityIndex(reference[feature], counts.get(feature) ?? new Map());
        return {
          feature,
          psi: Number(psi.toFixed(4)),
          level: driftLevel(psi, options.moderate, options.significant),
        };
      })
      .sort((a, b) => b.psi - a.psi);
    return { status: 'computed', version, predictions, features };
  }
}
