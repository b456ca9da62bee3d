import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { MLE_OPTIONS } from '../mle.constants';
import { MleOptions } from '../mle.options';
import { ModelTrainer } from '../training/model.trainer';
import { ModelArtifactStore } from './model-artifact.store';
import { ModelRegistry } from './model.registry';

/**
 * Puts a model into service when the application starts: the current version, or (in the demo
 * mode) a freshly trained one when there is none. Never fails start-up: without a model the API
 * runs, readiness says so and predictions answer 503 until a version is loaded.
 */
@Injectable()
export class ModelBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger('Model');

  constructor(
    private readonly registry: ModelRegistry,
    private readonly trainer: ModelTrainer,
    private readonly store: ModelArtifactStore,
    @Inject(MLE_OPTIONS) private readonly options: MleOptions,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.options.loadOnStart) return;
    try {
      const current = await this.store.currentVersion(this.registry.name);
      if (!current && this.options.trainWhenMissing) {
        this.logger.log(
          `No version of ${this.registry.name} yet: training one on the labelled data`,
        );
        const outcome = await this.trainer.train();
        const holdout = outcome.candidate.training.holdout;
        this.logger.log(
          `Trained ${outcome.candidate.version} on ${outcome.candidate.training.rows} rows: holdout accuracy ${holdout.accuracy.toFixed(3)}`,
        );
      }
      const { manifest } = await this.registry.reload();
      this.logger.log(`Serving ${manifest.name} version ${manifest.version}`);
    } catch (error) {
      this.logger.warn(
        `No model is served: ${(error as Error).message} Predictions answer 503 until a version is loaded (POST /model/reload).`,
      );
    }
  }
}
