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
 * window and the training reference in its manifest, counted in one pass in PostgreSQL:
 * numbers by `width_bucket` over the reference's quantile edges, categories by value.
 */
@Injectable()
export class DriftDetector {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async measure(
    model: string,
    version: string,
    reference: ReferenceDistribution,
    window: EvaluationWindow,
    options: { moderate: number; significant: number; minSample: number },
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
    // Edges as a Postgres array literal; NULL marks a categorical feature.
    const edges = names.map((name) => {
      const ref = reference[name];
      return ref.kind === 'numeric' ? `{${ref.edges.join(',')}}` : null;
    });
    const rows = await this.dataSource.query<{ name: string; bin: string | null; count: number }[]>(
      `WITH ref AS (SELECT * FROM unnest($5::text[], $6::text[]) AS r(name, edges))
       SELECT r.name,
              CASE WHEN r.edges IS NULL THEN p.features ->> r.name
                   ELSE width_bucket((p.features ->> r.name)::float8, r.edges::float8[])::text
              END AS bin,
              count(*)::int AS count
         FROM predictions p CROSS JOIN ref r
        WHERE p.model = $1 AND p.model_version = $2 AND p.predicted_at >= $3 AND p.predicted_at < $4
        GROUP BY 1, 2`,
      [model, version, window.from, window.to, names, edges],
    );
    const counts = new Map<string, Map<string, number>>(names.map((name) => [name, new Map()]));
    for (const row of rows) counts.get(row.name)?.set(row.bin ?? 'null', row.count);
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
