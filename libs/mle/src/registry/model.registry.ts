import { Inject, Injectable, Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { MleMetrics } from '../metrics/mle-metrics';
import { MLE_MODEL_CLASS } from '../mle.constants';
import { ModelService } from '../model.service';
import { ModelArtifactError, ModelArtifactStore } from './model-artifact.store';
import { ModelManifest } from './model-manifest';
import { findPredictionFailure } from './version-verification';

/** The model being served and its manifest; replaced as a whole on reload. */
export interface ServedModel {
  model: ModelService;
  manifest: ModelManifest;
}

/**
 * Holds the model being served. `reload` loads `current` into a fresh instance and swaps it in
 * only once it is complete and verified: a prediction that has taken the old instance finishes on
 * it, the next one gets the new version, and a failed load leaves the working model in place.
 */
@Injectable()
export class ModelRegistry {
  private served: ServedModel | undefined;
  private reloading: Promise<ServedModel> | undefined;
  readonly name: string;

  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly store: ModelArtifactStore,
    @Inject(MLE_MODEL_CLASS) private readonly modelClass: Type<ModelService>,
    private readonly metrics: MleMetrics,
    blueprint: ModelService,
  ) {
    this.name = blueprint.name;
  }

  /** The served model and manifest, or undefined while no version is loaded. */
  get current(): ServedModel | undefined {
    return this.served;
  }

  /** A new, empty instance of the bound model class (with its own dependencies injected). */
  async createModel(): Promise<ModelService> {
    return this.moduleRef.create(this.modelClass);
  }

  /** Loads the current version into a new instance and swaps it in. */
  async reload(): Promise<ServedModel> {
    // Concurrent reloads share one load rather than racing to swap.
    this.reloading ??= this.loadCurrent().finally(() => (this.reloading = undefined));
    return this.reloading;
  }

  /**
   * Loads a version without serving it (training compares the current version with a candidate).
   * The loaded model must predict every value and bound of its feature schema (see
   * `findPredictionFailure`): a version that cannot answer what the API accepts is refused here.
   */
  async loadVersion(version: string): Promise<ServedModel> {
    const { dir, manifest } = await this.store.read(this.name, version);
    const model = await this.createModel();
    const where = `model ${this.name} version ${version}`;
    try {
      await model.load(dir);
    } catch (error) {
      throw new ModelArtifactError(
        `${where} could not be loaded from ${dir}: ${(error as Error).message}. ` +
          'Train a new version with `npm run train`.',
      );
    }
    model.version = manifest.version;
    const failure = findPredictionFailure(model);
    if (failure) {
      throw new ModelArtifactError(
        `${where} ${failure}. It cannot answer every input the feature schema accepts: ` +
          'train a new version with `npm run train`.',
      );
    }
    return { model, manifest };
  }

  private async loadCurrent(): Promise<ServedModel> {
    const wanted = await this.store.currentVersion(this.name);
    if (!wanted) {
      throw new ModelArtifactError(
        `${this.store.modelRoot(this.name)} holds no current version. Train one with \`npm run train\`.`,
      );
    }
    const next = await this.loadVersion(wanted);
    this.served = next;
    this.metrics.serving(next.manifest.name, next.manifest.version);
    return next;
  }
}
