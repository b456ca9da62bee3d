import { DynamicModule, Module, ModuleMetadata, Provider, Type } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { ChampionFollower } from '../lifecycle/champion.follower';
import { ModelLifecycle } from '../lifecycle/model-lifecycle.service';
import { ModelVersionsRepository } from '../lifecycle/model-versions.repository';
import { MetricsRegistry } from '../metrics/metrics.registry';
import { MleMetrics } from '../metrics/mle-metrics';
import { MLE_OPTIONS, MLE_PLUGINS, PREDICTION_LOG_OPTIONS } from './mle.constants';
import { DEFAULT_MLE_OPTIONS, MleOptions } from './mle.options';
import { EvaluationScheduler } from '../monitoring/evaluation.scheduler';
import { IngestionScheduler } from '../monitoring/ingestion.scheduler';
import { PredictionLogIngester } from '../monitoring/prediction-log.ingester';
import { PredictionLogIngestion } from '../monitoring/prediction-log.ingestion';
import { TrainingReferences } from '../monitoring/training-references';
import { EvaluationRepository } from '../monitoring/repositories/evaluation.repository';
import { FeatureCountRepository } from '../monitoring/repositories/feature-count.repository';
import { JobRunRepository } from '../monitoring/repositories/job-run.repository';
import { OutcomeRepository } from '../monitoring/repositories/outcome.repository';
import { PredictionPartitionRepository } from '../monitoring/repositories/prediction-partition.repository';
import { PredictionPartitions } from '../monitoring/prediction-partitions.service';
import { RetrainingWebhookNotifier } from '../monitoring/retraining-webhook.notifier';
import { RetrainingEvents } from '../monitoring/retraining.events';
import { RetrainingMonitor } from '../monitoring/retraining.monitor';
import { ModelPlugin } from '../plugin/model-plugin';
import { PredictionLogWriter } from '../prediction-log/prediction-log.writer';
import { PredictionLogger } from '../serving/prediction-logger.interceptor';
import { ModelArtifactRepository } from '../registry/model-artifact.repository';
import { ModelArtifactStore } from '../registry/model-artifact.store';
import { ModelBootstrap } from '../registry/model.bootstrap';
import { ModelRegistry } from '../registry/model.registry';
import { PredictionService } from '../serving/prediction.service';
import { ModelTrainer } from '../training/model.trainer';
import { SqlTrainingData } from '../training/sql-training.data';
import { TrainingData } from '../training/training-data.source';

/** The options to give: `modelDir`, and any default to override. */
export type MleOptionsInput = Partial<MleOptions> & Pick<MleOptions, 'modelDir'>;

export interface MleModuleConfig {
  /** The model plug-ins to serve; the first is the default model. */
  plugins: readonly ModelPlugin[];
  /** Modules the models or `useOptions` depend on. */
  imports?: ModuleMetadata['imports'];
  inject?: (Type | string | symbol)[];
  /** Builds the kit's options, typically from configuration. */
  useOptions: (...deps: never[]) => MleOptionsInput | Promise<MleOptionsInput>;
  /**
   * Training data and monitoring read PostgreSQL through TypeORM's data source (the app's
   * `TypeOrmModule`). Off: the kit alone, with training data of the caller's (`trainingData`).
   */
  database?: boolean;
  /** Replaces the SQL training data (tests of the kit). */
  trainingData?: Type<TrainingData>;
}

/**
 * The ML-engineering kit: serving, prediction logs, versions, training and monitoring for the
 * model plug-ins it is given. `MleModule.forRoot({ plugins: [salesReorder], … })`; nothing in
 * the kit knows which models it serves.
 */
@Module({})
export class MleModule {
  static forRoot(config: MleModuleConfig): DynamicModule {
    const database = config.database ?? true;
    const providers: Provider[] = [
      { provide: MLE_PLUGINS, useValue: config.plugins },
      {
        provide: MLE_OPTIONS,
        inject: config.inject ?? [],
        useFactory: async (...deps: never[]): Promise<MleOptions> => ({
          ...DEFAULT_MLE_OPTIONS,
          ...(await config.useOptions(...deps)),
        }),
      },
      {
        provide: PREDICTION_LOG_OPTIONS,
        inject: [MLE_OPTIONS],
        useFactory: (options: MleOptions) => options.predictionLog,
      },
      {
        provide: TrainingData,
        useClass: config.trainingData ?? SqlTrainingData,
      },
      ModelArtifactStore,
      ModelRegistry,
      ModelTrainer,
      ModelBootstrap,
      MetricsRegistry,
      MleMetrics,
      PredictionLogWriter,
      PredictionLogger,
      PredictionService,
    ];
    const monitoring: Provider[] = database
      ? [
          PredictionLogIngester,
          TrainingReferences,
          PredictionLogIngestion,
          IngestionScheduler,
          JobRunRepository,
          EvaluationRepository,
          OutcomeRepository,
          FeatureCountRepository,
          PredictionPartitionRepository,
          PredictionPartitions,
          RetrainingEvents,
          RetrainingWebhookNotifier,
          RetrainingMonitor,
          EvaluationScheduler,
          ModelVersionsRepository,
          ModelArtifactRepository,
          ChampionFollower,
          ModelLifecycle,
        ]
      : [];
    return {
      module: MleModule,
      global: true,
      imports: [...(config.imports ?? []), ...(database ? [ScheduleModule.forRoot()] : [])],
      providers: [...providers, ...monitoring],
      exports: [
        MLE_OPTIONS,
        ModelArtifactStore,
        ModelRegistry,
        ModelTrainer,
        MetricsRegistry,
        MleMetrics,
        PredictionLogWriter,
        PredictionLogger,
        PredictionService,
        ...(database
          ? [
              RetrainingEvents,
              RetrainingMonitor,
              EvaluationScheduler,
              PredictionLogIngester,
              PredictionPartitions,
              PredictionLogIngestion,
              IngestionScheduler,
              ModelLifecycle,
              ModelArtifactRepository,
              ModelVersionsRepository,
            ]
          : []),
      ],
    };
  }
}
