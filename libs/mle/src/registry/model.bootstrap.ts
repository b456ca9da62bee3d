import { Inject, Injectable, Logger, OnApplicationBootstrap, Optional } from '@nestjs/common';
import { ChampionFollower } from '../lifecycle/champion.follower';
import { ModelVersionsRepository } from '../lifecycle/model-versions.repository';
import { MLE_OPTIONS } from '../module/mle.constants';
import { MleOptions } from '../module/mle.options';
import { ModelTrainer } from '../training/model.trainer';
import { ModelArtifactStore } from './model-artifact.store';
import { ModelRegistry } from './model.registry';
import { RegisteredModel } from './registered-model';

/**
 * Puts every model into service when the application starts: its current version, or (in the
 * demo mode) a freshly trained one when there is none. Never fails start-up: a model without a
 * version is not served (readiness says so, its predictions answer 503) until one is loaded.
 */
@Injectable()
export class ModelBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger('Model');

  constructor(
    private readonly registry: ModelRegistry,
    private readonly trainer: ModelTrainer,
    private readonly store: ModelArtifactStore,
    @Inject(MLE_OPTIONS) private readonly options: MleOptions,
    // Absent without a database: the versions in MODEL_DIR are all there is.
    @Optional() private readonly follower?: ChampionFollower,
    @Optional() private readonly roles?: ModelVersionsRepository,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.options.loadOnStart) return;
    for (const model of this.registry.models) await this.serve(model);
    // Then the champion the database names, which may differ (a promotion through a replica).
    await this.follower?.start();
  }

  private async serve(model: RegisteredModel): Promise<void> {
    try {
      await this.publishLocal(model);
      const current =
        (await this.store.currentVersion(model.name)) ?? (await this.fetchChampion(model));
      if (!current && this.options.trainWhenMissing && model.data) {
        this.logger.log(`No version of ${model.name} yet: training one on the labelled data`);
        const outcome = await this.trainer.train({ model: model.name });
        const holdout = outcome.candidate.training.holdout;
        this.logger.log(
          `Trained ${model.name} ${outcome.candidate.version} on ${outcome.candidate.training.rows} rows: holdout accuracy ${holdout.accuracy.toFixed(3)}`,
        );
      }
      const { manifest } = await model.reload();
      this.logger.log(`Serving ${manifest.name} version ${manifest.version}`);
    } catch (error) {
      this.logger.warn(
        `${model.name} is not served: ${(error as Error).message} Its predictions answer 503 until a version is loaded.`,
      );
    }
  }

  /**
   * With a database: stores the versions of MODEL_DIR it lacks (a folder from before versions
   * were stored, or a save whose storing failed), so that every replica can fetch them.
   */
  private async publishLocal(model: RegisteredModel): Promise<void> {
    if (!this.roles) return;
    try {
      const published = await this.store.publishAll(model.name);
      if (published.length > 0) {
        this.logger.log(
          `Stored ${published.length} version(s) of ${model.name} from ${this.store.modelRoot(model.name)} in the database: ${published.join(', ')}`,
        );
      }
    } catch (error) {
      this.logger.warn(
        `Could not store the versions of ${model.name} in the database: ${(error as Error).message} The next start tries again.`,
      );
    }
  }

  /**
   * When MODEL_DIR names no current version (a new replica, an empty cache): the champion the
   * database records, fetched and made current here.
   */
  private async fetchChampion(model: RegisteredModel): Promise<string | undefined> {
    if (!this.roles) return undefined;
    try {
      const champion = (await this.roles.serving()).get(model.name)?.champion;
      if (!champion) return undefined;
      await this.store.promote(model.name, champion);
      this.logger.log(
        `${this.store.modelRoot(model.name)} named no current version: fetched the champion ${champion} from the database`,
      );
      return champion;
    } catch (error) {
      this.logger.warn(
        `Could not read the stored versions of ${model.name}: ${(error as Error).message}`,
      );
      return undefined;
    }
  }
}
