import { Injectable } from '@nestjs/common';
import { Calibration } from '../estimators/calibration';
import { ModelArtifactStore } from '../registry/model-artifact.store';
import { ReferenceLookup } from './ingestion/feature-counts';
import { ReferenceDistribution } from './reference-distribution';

const key = (model: string, version: string) => `${model}\u0000${version}`;

/**
 * The training reference and probability calibration of every version under MODEL_DIR, read
 * from their manifests once per version (versions never change): new predictions are counted by
 * the reference as they are ingested, drift compares with it, and the performance estimation
 * goes through the calibration.
 */
@Injectable()
export class TrainingReferences {
  private readonly references = new Map<string, ReferenceDistribution>();
  /** Null: the version has no calibration. */
  private readonly calibrations = new Map<string, Calibration | null>();

  constructor(private readonly store: ModelArtifactStore) {}

  /** Reads the manifests of the models' versions not read yet; the lookup of their references. */
  async lookup(models: readonly string[]): Promise<ReferenceLookup> {
    for (const model of models) {
      for (const version of await this.store.versions(model)) {
        if (this.references.has(key(model, version))) continue;
        try {
          const { manifest } = await this.store.read(model, version);
          this.references.set(key(model, version), manifest.reference);
          this.calibrations.set(
            key(model, version),
            manifest.training.calibration?.calibration ?? null,
          );
        } catch {
          // A partial or damaged version: its predictions are reported as not counted.
        }
      }
    }
    return (model, version) => this.references.get(key(model, version));
  }

  /** The calibration of a version read by `lookup`; undefined when it has none. */
  calibration(model: string, version: string): Calibration | undefined {
    return this.calibrations.get(key(model, version)) ?? undefined;
  }
}
